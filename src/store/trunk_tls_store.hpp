#pragma once
// Mutual TLS for provider trunks (issue 11, decision 0048): a trunk may require the provider to
// present a client certificate on the TLS connections it opens to Parley. Kept beside the trunk
// (one row per trunk that requires it, removed with the trunk) rather than in it, so that the
// trunk's own columns stay what every trunk has.
//
// Thread-safety: as the Store that implements it.

#include <string>
#include <vector>

#include "base/result.hpp"
#include "store/trunk_store.hpp"

namespace parley::store {

struct TrunkClientTls {
  TrunkId trunk_id = 0;
  std::string ca_file;  // PEM bundle of the authorities the provider's certificate must lead to
  std::string expected_name;  // a DNS/URI subjectAltName or common name it must carry; empty: any
};

class TrunkTlsStore {
 public:
  virtual ~TrunkTlsStore() = default;
  // Requires (or replaces the requirement of) a client certificate for the trunk; kNotFound
  // when the trunk is gone, kInvalid for an empty CA file path.
  virtual Result<void> set_trunk_client_tls(const TrunkClientTls& tls) = 0;
  // No client certificate required any more (nothing to do when none was).
  virtual Result<void> clear_trunk_client_tls(TrunkId trunk) = 0;
  virtual Result<std::vector<TrunkClientTls>> list_trunk_client_tls() = 0;
};

}  // namespace parley::store
