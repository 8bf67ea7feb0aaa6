// libFuzzer target: what a caller dials or a provider delivers reaches pbx/ as untrusted text —
// classify_number(), the outbound planner (route patterns, strip/prepend, guards), DID lookup
// and CallClassSet::parse() must never crash, and what they accept must be well formed.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pbx/did_table.hpp"
#include "pbx/number_plan.hpp"
#include "pbx/outbound_call_planner.hpp"
#include "store/call_limits_store.hpp"

namespace {

namespace pbx = parley::pbx;
namespace store = parley::store;

store::OutboundRoute route(std::string name, store::RoutePatternKind kind, std::string pattern,
                           std::uint32_t strip, std::string prepend, bool emergency) {
  store::OutboundRoute row;
  row.name = std::move(name);
  row.pattern_kind = kind;
  row.pattern = std::move(pattern);
  row.strip_digits = strip;
  row.prepend = std::move(prepend);
  row.trunks = {"main"};
  row.emergency = emergency;
  return row;
}

struct Fixture {
  Fixture() {
    limits.country_code = "44";
    limits.blocked_prefixes = {"882"};
    auto built = pbx::OutboundCallPlanner::build(
        limits,
        {route("e", store::RoutePatternKind::kPrefix, "", 0, "", true),
         route("intl", store::RoutePatternKind::kPrefix, "00", 2, "+", false),
         route("len", store::RoutePatternKind::kLength, "10-11", 1, "+44", false),
         route("re", store::RoutePatternKind::kRegex, R"(\+?[0-9*#]{3,20})", 0, "", false)});
    if (!built.ok()) std::abort();
    planner = std::move(built).value();
    dids = pbx::DidTable::build(
        {store::Did{0, 1, "+442071234567", "", store::DidDestinationKind::kExtension, "1001", 0}},
        planner.number_plan());
  }
  store::TenantCallLimits limits;
  pbx::OutboundCallPlanner planner;
  pbx::DidTable dids;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixture fixture;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (auto number = pbx::classify_number(input, fixture.planner.number_plan()); number.ok()) {
    const std::string& e164 = number->e164;
    if (!e164.empty() && (e164.front() != '+' || e164.size() > pbx::kMaxE164Digits + 1)) {
      std::abort();
    }
    if (number->dialled.empty() || number->dialled.size() > store::kMaxDialledDigits + 1) {
      std::abort();
    }
  }
  const auto everything = store::CallClassSet::from_bits(0xff);
  if (auto call = fixture.planner.plan(input, everything); call.ok()) {
    if (call->route.digits.empty() || call->route.trunks.empty()) std::abort();
  } else if (call.error().code != 403 && call.error().code != 404 && call.error().code != 484) {
    std::abort();
  }
  if (auto match = fixture.dids.lookup("main", input); match.ok() && match->target != "1001") {
    std::abort();
  }
  if (auto classes = store::CallClassSet::parse(input); classes.ok()) {
    auto again = store::CallClassSet::parse(classes->to_text());
    if (!again.ok() || !(*again == *classes)) std::abort();
  }
  return 0;
}
