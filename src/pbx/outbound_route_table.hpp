#pragma once
// A tenant's outbound routes, ready to match dialled numbers: the first route (by priority,
// then name) whose pattern matches gives the digits to send and the trunks to try in order.
//
// Emergency numbers try the emergency routes first, then the ordinary ones (so a tenant without
// an emergency route still reaches 112 through its default route); other numbers never use an
// emergency route. Patterns match the cleaned dialled number (pbx/number_plan.hpp
// clean_dialled): kPrefix by its start, kLength by its digit count (a leading '+' not counted),
// kRegex by an ECMAScript match of the whole number. Then strip_digits characters are removed
// from the front and `prepend` is put there.
//
// Immutable once built: select() is const and safe from any thread at once. Build it again
// when the store's change counter moves.

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/routing_store.hpp"

namespace parley::pbx {

struct RouteChoice {
  std::string route;                // the route's name, for the log
  std::string digits;               // what to send as the Request-URI user
  std::vector<std::string> trunks;  // failover order
  std::string caller_id;            // the route's caller-ID override, or empty
  bool emergency_route = false;
};

class OutboundRouteTable {
 public:
  OutboundRouteTable() = default;  // no routes: every select() fails with 404

  // Sorts `routes` by priority then name and compiles regex patterns. Error code 500 naming
  // the route when a pattern does not compile (the store refuses such routes, so only a
  // hand-edited database gets here).
  static Result<OutboundRouteTable> build(std::vector<store::OutboundRoute> routes);

  // `dialled`: a cleaned number (clean_dialled). Error code 404 when no route matches; 484
  // when the matching route strips every digit.
  Result<RouteChoice> select(std::string_view dialled, bool emergency_number) const;

  std::size_t size() const { return routes_.size(); }

 private:
  struct Compiled {
    store::OutboundRoute route;
    std::regex regex;  // kRegex only
    std::size_t min_length = 0;
    std::size_t max_length = 0;
  };
  static bool matches(const Compiled& compiled, std::string_view dialled);
  static Result<RouteChoice> apply(const Compiled& compiled, std::string_view dialled);

  std::vector<Compiled> routes_;
};

}  // namespace parley::pbx
