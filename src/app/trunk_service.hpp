#pragma once
// TrunkService: runs the client side of every enabled trunk (issue 11) in `parley serve`.
//
// A thread of its own polls Store::change_counter() every poll_interval; when it moved (a
// `parley trunk` command, the REST API), when the first DNS answer it used lapses (its TTL, at
// least 2 s; decision 0048), and every resolve_interval anyway, it reads the trunks
// and their tenants, resolves each host off the worker loops (RFC 3263 through its own
// sip::ServerLocator and net::DnsClient: NAPTR, SRV, A/AAAA, cached for their TTL; decision
// 0042) into an endpoint with alternates for failover, and hands the wanted set to the
// sip::TrunkClients of one worker, which starts, stops and replaces registrations and OPTIONS
// keep-alives without a restart. A trunk whose host does not resolve, or whose transport is not
// supported (UDP, TCP and TLS are), is listed as failed with the reason and retried every
// unresolved_retry. The TCP and TLS trunks' addresses go to `stream_destinations`, the only
// peers SipService opens connections to (decision 0032).
//
// Wiring (serve.cpp): open() before the SipService; the SipWorker of worker() attaches itself
// with attach() while it is built; set_local_addresses() after the SIP sockets are bound;
// start() after pool.start(); stop() once the stop signal came, before SipService::stop() (it
// unregisters every trunk, waiting at most `grace` for the answers). Destroy after the workers.
//
// Thread-safety: status() from any thread; the rest from the thread that runs serve().

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/trunk_calls.hpp"
#include "app/trunk_status_file.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "net/address.hpp"
#include "net/dns_client.hpp"
#include "sip/server_locator.hpp"
#include "sip/trunk_clients.hpp"
#include "store/call_limits_store.hpp"
#include "store/routing_store.hpp"
#include "store/store.hpp"
#include "store/trunk_store.hpp"
#include "store/trunk_tls_store.hpp"

namespace parley::net {
class WorkerPool;
}

namespace parley::app {

class StreamDestinations;

struct TrunkServiceOptions {
  std::filesystem::path data_dir;  // open() only
  Duration poll_interval = std::chrono::seconds(1);
  Duration resolve_interval = std::chrono::minutes(5);
  Duration unresolved_retry = std::chrono::seconds(30);
  Duration keepalive_interval = std::chrono::seconds(30);
  int keepalive_failures_for_down = 2;
  Duration retry_min = std::chrono::seconds(30);
  Duration retry_max = std::chrono::minutes(10);
  std::string user_agent = "Parley";
  // Where the TCP and TLS trunks' resolved addresses go, so that SipService may connect to them
  // (decision 0032). Null: not published. Must outlive the service.
  StreamDestinations* stream_destinations = nullptr;
  // Nameservers for trunk hosts; no servers = those of /etc/resolv.conf.
  net::DnsClientOptions dns;
};

// The worker side, run by TrunkService through WorkerPool::post on the attached worker.
struct TrunkWorkerHooks {
  std::function<void(std::vector<sip::TrunkClientConfig>)> apply;
  std::function<void()> shutdown;
  std::function<bool()> idle;
};

class TrunkService {
 public:
  // Opens the data folder's store for its own use (reads only).
  static Result<std::unique_ptr<TrunkService>> open(net::WorkerPool& pool,
                                                    const TrunkServiceOptions& options);
  // Over stores the caller keeps alive (tests). `owned` may hold them. Without `routing` and
  // `limits` calls see no DIDs, no routes and the default limits; without `client_tls` no trunk
  // requires mutual TLS.
  TrunkService(net::WorkerPool& pool, const TrunkServiceOptions& options, store::Store& store,
               store::TrunkStore& trunks, std::shared_ptr<void> owned = {},
               store::RoutingStore* routing = nullptr, store::CallLimitsStore* limits = nullptr,
               store::TrunkTlsStore* client_tls = nullptr);
  ~TrunkService();
  TrunkService(const TrunkService&) = delete;
  TrunkService& operator=(const TrunkService&) = delete;

  // The worker whose SipWorker runs every trunk client.
  std::size_t worker() const { return 0; }
  // What that worker's TrunkClients are built with (the status flows back through on_status).
  sip::TrunkClientsOptions client_options(sip::TransactionLayer& layer, const Clock& clock,
                                          std::function<std::string()> make_call_id);
  void attach(TrunkWorkerHooks hooks);

  // The SIP sockets we send from: requests to a provider leave from the UDP one of its family.
  void set_local_addresses(std::vector<net::SocketAddress> udp);
  // Our SIP-over-TLS listeners: a TLS trunk's Via and Contact name the one of its family.
  void set_local_tls_addresses(std::vector<net::SocketAddress> tls);

  void start();
  void stop(std::chrono::milliseconds grace);

  // Every trunk of the last snapshot, disabled ones too, with its registration, keep-alive and
  // calls in progress. The service's thread also writes it to `<data_dir>/trunk-status` every
  // poll_interval (trunk_status_file.hpp, decision 0026) when data_dir is set.
  std::vector<TrunkStatusRow> status() const;

  // Calls through trunks (outbound plans, trusted peers, DIDs): rebuilt by this service's
  // thread with the trunks, read by every worker. Outlives the workers' calls.
  TrunkCalls& calls() { return calls_; }

 private:
  void run();
  void reconcile();
  std::vector<sip::TrunkClientConfig> wanted(bool& unresolved);
  void publish(std::vector<sip::TrunkStatus> status);
  // Reads trunks, DIDs, routes and limits and hands TrunkCalls a new snapshot.
  void refresh_calls();
  // The trunks that require mutual TLS, their CA files loaded (decision 0048).
  std::map<store::TrunkId, TrunkClientCheck> load_client_checks();
  void write_status_file();
  // Keeps the earliest lapse of the DNS answers used since the round began (dns_valid_until_).
  void note_dns_expiry();

  net::WorkerPool& pool_;
  TrunkServiceOptions options_;
  store::Store& store_;
  store::TrunkStore& trunks_;
  std::shared_ptr<void> owned_;
  store::RoutingStore* routing_ = nullptr;
  store::CallLimitsStore* limits_ = nullptr;
  store::TrunkTlsStore* client_tls_ = nullptr;
  TrunkCalls calls_;
  SteadyClock dns_clock_;
  net::DnsClient dns_client_;  // the service thread's (blocking lookups)
  sip::ServerLocator locator_;
  std::vector<net::SocketAddress> local_udp_;
  std::vector<net::SocketAddress> local_tls_;
  std::optional<TrunkWorkerHooks> hooks_;
  std::map<store::TrunkId, TrunkClientCheck> last_client_checks_;  // the thread's
  std::optional<TimePoint> dns_valid_until_;  // the thread's; of the current resolve round

  std::thread thread_;
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by wake_mutex_
  std::optional<std::uint64_t> last_counter_;
  std::optional<std::vector<sip::TrunkClientConfig>> last_wanted_;
  bool status_file_failed_ = false;  // the thread's; a write error is logged once

  mutable std::mutex status_mutex_;
  std::vector<sip::TrunkStatus> status_;  // guarded by status_mutex_
};

// Resolves a trunk's host and picks our socket towards it (exposed for tests). Fails with a
// reason for people: an unsupported transport, a name that does not resolve, no local socket
// of the address family. TCP and TLS trunks (default port 5061 for TLS) name the TLS listener
// of their family in Via and Contact when there is one (`local_tls`), else the UDP/TCP socket.
// With a `locator`, names go through RFC 3263 and every further target becomes an alternate
// (at most kMaxTrunkAlternates); without one, an IP literal or getaddrinfo's first address.
constexpr std::size_t kMaxTrunkAlternates = 7;
Result<sip::TrunkEndpoint> resolve_trunk_endpoint(
    const store::Trunk& trunk, const std::vector<net::SocketAddress>& local_udp,
    const std::vector<net::SocketAddress>& local_tls = {}, sip::ServerLocator* locator = nullptr);

}  // namespace parley::app
