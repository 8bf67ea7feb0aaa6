#include "net/stream_connector.hpp"

#include "net/tls_internal.hpp"  // first among ours: Asio

namespace parley::net {

StreamConnector::StreamConnector(WorkerPool& pool, StreamSessionFactory& factory, TlsContext* tls,
                                 const ConnectOptions& options)
    : pool_(pool), factory_(factory), tls_(tls), options_(options) {}

std::uint64_t StreamConnector::open(const StreamTarget& target) {
  const std::size_t worker = pool_.current_worker();
  if (worker == kNoWorker || target.remote.empty()) return 0;
  OutgoingTarget outgoing;
  outgoing.remote = target.remote;
  outgoing.server_name = target.server_name;
  switch (target.kind) {
    case StreamKind::kTcp:
      break;
    case StreamKind::kTls:
      if (tls_ == nullptr || tls_->role() != TlsContext::Role::kClient) return 0;
      outgoing.tls = tls_;
      break;
    case StreamKind::kWs:
    case StreamKind::kWss:
      return 0;
  }
  StreamSettings settings;
  settings.idle_timeout = options_.idle_timeout;
  settings.handshake_timeout = options_.connect_timeout;
  settings.max_write_queue_bytes = options_.max_write_queue_bytes;
  return start_outgoing(pool_.impl(), worker, outgoing, settings, factory_);
}

}  // namespace parley::net
