#pragma once
// Inbound numbers of one tenant: which destination a call to a DID reaches.
//
// The called number (the Request-URI user, or the To user, as the provider delivers it) is
// compared with each DID twice: as text, after removing visual separators and any URI
// parameters (";npdi"), and by E.164 form under the tenant's number plan, so that "+44 20 7123
// 4567", "442071234567" and "02071234567" all find a DID stored as any one of them. A DID tied
// to the trunk the call came from wins over one for any trunk; at equal footing a textual match
// wins over an E.164 one. DIDs only name destinations inside the tenant, so an inbound call can
// never be routed straight back out of a trunk.
//
// Immutable once built; lookup() is const and safe from any thread at once.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "pbx/number_plan.hpp"
#include "store/routing_store.hpp"

namespace parley::pbx {

inline constexpr int kNoSuchNumber = 404;

struct DidMatch {
  store::DidDestinationKind kind = store::DidDestinationKind::kExtension;
  std::string target;  // extension number, ring group number, IVR or queue name
  std::string number;  // the DID as configured
  std::string trunk;   // the DID's trunk, empty for any
};

class DidTable {
 public:
  DidTable() = default;  // no DIDs: every lookup fails with 404

  // `dids`: one tenant's DIDs; entries whose number does not parse still match as text.
  static DidTable build(std::vector<store::Did> dids, NumberPlan plan);

  // `trunk`: the name of the trunk the call arrived on. Error code 404 with the reason when no
  // DID matches.
  Result<DidMatch> lookup(std::string_view trunk, std::string_view called) const;

  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    store::Did did;
    std::string text;               // cleaned
    std::vector<std::string> e164;  // its possible E.164 forms under the plan
  };
  NumberPlan plan_;
  std::vector<Entry> entries_;
};

}  // namespace parley::pbx
