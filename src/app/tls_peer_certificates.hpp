#pragma once
// TlsPeerCertificates: the client certificates that TLS connections to our SIP listener
// presented, by connection id, so that a request's sip::Peer (which carries only the id) can be
// matched to a trunk that requires mutual TLS (decision 0048) on whichever worker its call
// lives. SipService's stream sessions fill it when a connection is up and empty it when it
// closes; connections without a certificate (most phones) are not kept.
//
// Thread-safety: every method may be called from any thread (one mutex; a few entries per
// provider connection, bounded by the TLS listener's connection cap).

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::app {

class TlsPeerCertificates {
 public:
  using Chain = std::vector<std::string>;  // DER, the peer's own first

  void remember(std::uint64_t connection, Chain chain) {
    if (chain.empty()) return;
    auto shared = std::make_shared<const Chain>(std::move(chain));
    const std::lock_guard lock(mutex_);
    chains_[connection] = std::move(shared);
  }
  void forget(std::uint64_t connection) {
    const std::lock_guard lock(mutex_);
    chains_.erase(connection);
  }
  // Null when the connection showed no certificate (or is gone, or is no TLS connection).
  std::shared_ptr<const Chain> find(std::uint64_t connection) const {
    const std::lock_guard lock(mutex_);
    const auto found = chains_.find(connection);
    return found != chains_.end() ? found->second : nullptr;
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::shared_ptr<const Chain>> chains_;  // guarded by mutex_
};

}  // namespace parley::app
