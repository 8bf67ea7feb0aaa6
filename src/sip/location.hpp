#pragma once
// The location service (RFC 3261 §10): who is registered where, shared by every worker.
//
// The registrar writes bindings here (and persists them through the store); the call logic reads
// them to fork an INVITE to every device of an extension. Lookups happen per call on any worker,
// so the implementation is an in-memory table guarded by a mutex, loaded from the store at
// start-up so that a restart keeps live bindings.

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "store/store.hpp"

namespace parley::sip {

// A live binding plus what only the running process knows about it.
struct RegisteredContact {
  store::Binding binding;
  // The stream connection (Peer::connection_id) the REGISTER arrived on, so that requests reach a
  // device behind NAT over the connection it opened (RFC 5626 §5.3); 0 for UDP and for bindings
  // reloaded from the store after a restart.
  std::uint64_t connection_id = 0;
};

// Thread-safe: every member may be called from any worker thread.
class LocationService {
 public:
  virtual ~LocationService() = default;
  // Live bindings of one extension, highest q first, then most recently registered first.
  virtual std::vector<store::Binding> lookup(store::TenantId tenant,
                                             std::string_view extension) const = 0;
  // The same bindings with their connection ids. The default serves implementations that keep
  // no connections (test fakes): every connection_id is 0.
  virtual std::vector<RegisteredContact> lookup_contacts(store::TenantId tenant,
                                                         std::string_view extension) const {
    std::vector<RegisteredContact> out;
    for (auto& binding : lookup(tenant, extension)) out.push_back({std::move(binding), 0});
    return out;
  }
};

}  // namespace parley::sip
