#include "pbx/outbound_route_table.hpp"

#include <algorithm>
#include <charconv>

namespace parley::pbx {

namespace {

constexpr int kNotFound = 404;
constexpr int kAddressIncomplete = 484;
constexpr int kServerError = 500;

std::size_t to_size(std::string_view digits) {
  std::size_t value = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return value;
}

}  // namespace

Result<OutboundRouteTable> OutboundRouteTable::build(std::vector<store::OutboundRoute> routes) {
  std::stable_sort(routes.begin(), routes.end(), [](const auto& a, const auto& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.name < b.name;
  });
  OutboundRouteTable table;
  for (auto& route : routes) {
    Compiled compiled;
    switch (route.pattern_kind) {
      case store::RoutePatternKind::kPrefix:
        break;
      case store::RoutePatternKind::kLength: {
        const std::string_view pattern = route.pattern;
        const auto dash = pattern.find('-');
        compiled.min_length = to_size(pattern.substr(0, dash));
        compiled.max_length = dash == std::string_view::npos ? compiled.min_length
                                                             : to_size(pattern.substr(dash + 1));
        break;
      }
      case store::RoutePatternKind::kRegex:
        try {
          compiled.regex = std::regex(route.pattern, std::regex::ECMAScript);
        } catch (const std::regex_error& error) {
          return make_error(kServerError, "route " + route.name + " has a pattern that does " +
                                              "not compile: " + error.what());
        }
        break;
    }
    compiled.route = std::move(route);
    table.routes_.push_back(std::move(compiled));
  }
  return table;
}

bool OutboundRouteTable::matches(const Compiled& compiled, std::string_view dialled) {
  switch (compiled.route.pattern_kind) {
    case store::RoutePatternKind::kPrefix:
      return dialled.starts_with(compiled.route.pattern);
    case store::RoutePatternKind::kLength: {
      const std::size_t digits = dialled.starts_with('+') ? dialled.size() - 1 : dialled.size();
      return digits >= compiled.min_length && digits <= compiled.max_length;
    }
    case store::RoutePatternKind::kRegex:
      // Dialled numbers are at most kMaxDialledDigits long, which bounds the backtracking.
      return std::regex_match(dialled.begin(), dialled.end(), compiled.regex);
  }
  return false;
}

Result<RouteChoice> OutboundRouteTable::apply(const Compiled& compiled, std::string_view dialled) {
  const store::OutboundRoute& route = compiled.route;
  if (route.strip_digits >= dialled.size()) {
    return make_error(kAddressIncomplete,
                      "route " + route.name + " strips " + std::to_string(route.strip_digits) +
                          " digits from '" + std::string(dialled) + "', leaving nothing to send");
  }
  return RouteChoice{route.name, route.prepend + std::string(dialled.substr(route.strip_digits)),
                     route.trunks, route.caller_id, route.emergency};
}

Result<RouteChoice> OutboundRouteTable::select(std::string_view dialled,
                                               bool emergency_number) const {
  if (emergency_number) {
    for (const auto& compiled : routes_) {
      if (compiled.route.emergency && matches(compiled, dialled)) return apply(compiled, dialled);
    }
  }
  for (const auto& compiled : routes_) {
    if (!compiled.route.emergency && matches(compiled, dialled)) return apply(compiled, dialled);
  }
  return make_error(kNotFound, "no outbound route matches '" + std::string(dialled) + "'");
}

}  // namespace parley::pbx
