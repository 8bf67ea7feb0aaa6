#pragma once
// Stream connections (TCP today; TLS and WebSocket later) as seen from above net/.
//
// A StreamConnection is one accepted (or, later, opened) byte stream living on one worker. What
// the bytes mean is not net/'s business: each connection owns a StreamSession created by the
// upper layer's StreamSessionFactory, which receives the bytes and may answer or close.
// A TLS or WebSocket transport implements StreamConnection the same way and registers in the same
// worker tables, so everything above keeps working with a connection id.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/address.hpp"

namespace parley::net {

enum class StreamKind : std::uint8_t { kTcp, kTls, kWs, kWss };

// One connection. All member functions must be called on the owning worker's thread (the one
// that calls the session); from other threads use WorkerPool::send_stream/close_stream.
class StreamConnection {
 public:
  virtual ~StreamConnection() = default;

  // Unique within the process; never 0; the low 16 bits are the owning worker's index.
  virtual std::uint64_t id() const = 0;
  virtual StreamKind kind() const = 0;
  virtual const SocketAddress& remote() const = 0;
  virtual const SocketAddress& local() const = 0;
  std::size_t worker() const { return static_cast<std::size_t>(id() & 0xFFFFU); }

  // Queues bytes for writing, without blocking. Returns false when the connection is closing
  // or its write queue is over its limit (the connection is then closed: a peer that does not
  // read must not make us buffer without bound).
  virtual bool send(std::string_view bytes) = 0;
  // Stops reading now and closes once everything queued is written.
  virtual void close_after_flush() = 0;
  // Closes at once, dropping queued bytes.
  virtual void close() = 0;
  // TLS: the certificates the peer presented in its handshake (DER, its own first), not
  // verified here: whoever knows whom to trust checks them (TlsTrustAnchors). Empty otherwise.
  virtual const std::vector<std::string>& peer_certificates() const {
    static const std::vector<std::string> kNone;
    return kNone;
  }
};

// The upper layer's per-connection state (for SIP: a StreamFramer). Owned by its connection;
// called on the connection's worker thread only. It may call back into the connection (send,
// close) from inside on_data.
class StreamSession {
 public:
  virtual ~StreamSession() = default;
  virtual void on_data(StreamConnection& connection, std::string_view bytes) = 0;
  // Called once when the connection closes for any reason (peer, idle timeout, error, us).
  virtual void on_closed(StreamConnection& /*connection*/) {}
};

// Makes a session for each new connection, on the connection's worker thread. Must be
// thread-safe (several workers accept at once) and outlive the WorkerPool's threads.
class StreamSessionFactory {
 public:
  virtual ~StreamSessionFactory() = default;
  virtual std::unique_ptr<StreamSession> create_session(StreamConnection& connection) = 0;
};

}  // namespace parley::net
