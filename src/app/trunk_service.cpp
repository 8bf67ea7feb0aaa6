#include "app/trunk_service.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <map>
#include <utility>

#include "app/stream_destinations.hpp"
#include "net/worker_pool.hpp"
#include "sip/call_routing.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::app {
namespace {

constexpr std::uint16_t kDefaultSipPort = 5060;
constexpr std::uint16_t kDefaultSipsPort = 5061;  // RFC 3261 §26.3.1: SIP over TLS
// Answers with a TTL of 0 or 1 s would otherwise make the service resolve on every poll.
constexpr Duration kShortestDnsRefresh = std::chrono::seconds(2);

bool is_unspecified(const net::SocketAddress& address) {
  return address.ip() == "0.0.0.0" || address.ip() == "::";
}

// The local address the kernel would send from towards `remote`: connecting a UDP socket only
// consults the routing table, nothing goes on the wire.
std::optional<std::string> source_ip_towards(const net::SocketAddress& remote) {
  const int fd = ::socket(remote.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> ip;
  if (::connect(fd, remote.data(), remote.size()) == 0) {
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0) {            // NOLINT
      ip = net::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&local), length)  // NOLINT
               .ip();
    }
  }
  ::close(fd);
  return ip;
}

// getaddrinfo for a name (blocking: this runs on the service's own thread, never on a loop).
Result<std::vector<net::SocketAddress>> lookup(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int error = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (error != 0) return make_error(0, "cannot resolve " + host + ": " + gai_strerror(error));
  std::vector<net::SocketAddress> out;
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    if (entry->ai_family == AF_INET || entry->ai_family == AF_INET6) {
      out.push_back(net::SocketAddress::from_sockaddr(entry->ai_addr, entry->ai_addrlen));
    }
  }
  ::freeaddrinfo(found);
  if (out.empty()) return make_error(0, host + " has no IPv4 or IPv6 address");
  return out;
}

std::string bracketed(const std::string& host) {
  if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]";
  return host;
}

std::string unbracketed(const std::string& host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

}  // namespace

Result<sip::TrunkEndpoint> resolve_trunk_endpoint(const store::Trunk& trunk,
                                                  const std::vector<net::SocketAddress>& local_udp,
                                                  const std::vector<net::SocketAddress>& local_tls,
                                                  sip::ServerLocator* locator) {
  const auto kind = sip::transport_from_text(trunk.transport);
  if (!kind || *kind == sip::TransportKind::kWs || *kind == sip::TransportKind::kWss) {
    return make_error(0, "transport " + trunk.transport + " to providers is not supported");
  }
  if (trunk.host.empty()) return make_error(0, "no host");
  std::vector<sip::ServerTarget> targets;
  if (locator != nullptr) {
    auto located = locator->locate(trunk.host, trunk.port, *kind);
    if (!located) return located.error();
    targets = std::move(located).value();
  } else {
    const std::uint16_t port = trunk.port != 0                     ? trunk.port
                               : *kind == sip::TransportKind::kTls ? kDefaultSipsPort
                                                                   : kDefaultSipPort;
    if (auto literal = net::SocketAddress::parse(unbracketed(trunk.host), port)) {
      targets.push_back({*kind, *literal, trunk.host});
    } else if (auto literal6 = net::SocketAddress::parse(bracketed(trunk.host), port)) {
      targets.push_back({*kind, *literal6, trunk.host});
    } else {
      auto found = lookup(trunk.host, port);
      if (!found) return found.error();
      for (const auto& address : *found) targets.push_back({*kind, address, trunk.host});
    }
  }
  std::optional<sip::TrunkEndpoint> endpoint;
  for (const sip::ServerTarget& target : targets) {
    const net::SocketAddress& remote = target.address;
    const auto local = std::find_if(local_udp.begin(), local_udp.end(), [&](const auto& address) {
      return address.is_v6() == remote.is_v6();
    });
    if (local == local_udp.end()) continue;
    net::SocketAddress local_socket = *local;
    if (target.transport == sip::TransportKind::kTls) {
      const auto listener = std::find_if(local_tls.begin(), local_tls.end(), [&](const auto& a) {
        return a.is_v6() == remote.is_v6();
      });
      if (listener != local_tls.end()) local_socket = *listener;
    }
    std::string local_ip = local_socket.ip();
    if (is_unspecified(local_socket)) {
      const auto source = source_ip_towards(remote);
      if (!source) continue;
      local_ip = *source;
    }
    sip::TrunkTarget usable;
    usable.peer.transport = target.transport;
    usable.peer.remote = remote;
    usable.peer.local = local_socket;
    usable.local_host_port = bracketed(local_ip) + ":" + std::to_string(local_socket.port());
    if (!endpoint) {
      endpoint.emplace();
      endpoint->peer = usable.peer;
      endpoint->local_host_port = usable.local_host_port;
      endpoint->domain = bracketed(trunk.host);
      endpoint->port = trunk.port;
    } else if (endpoint->alternates.size() < kMaxTrunkAlternates) {
      endpoint->alternates.push_back(std::move(usable));
    }
  }
  if (!endpoint) {
    return make_error(0, "no SIP socket of " + trunk.host + "'s address family to send from");
  }
  return std::move(endpoint).value();
}

Result<std::unique_ptr<TrunkService>> TrunkService::open(net::WorkerPool& pool,
                                                         const TrunkServiceOptions& options) {
  store::sqlite::SqliteStoreOptions store_options;
  store_options.data_dir = options.data_dir;
  auto opened = store::sqlite::SqliteStore::open(store_options);
  if (!opened) return opened.error();
  std::shared_ptr<store::sqlite::SqliteStore> db = std::move(opened).value();
  store::sqlite::SqliteStore& ref = *db;
  return std::make_unique<TrunkService>(pool, options, ref, ref, std::move(db), &ref, &ref, &ref);
}

TrunkService::TrunkService(net::WorkerPool& pool, const TrunkServiceOptions& options,
                           store::Store& store, store::TrunkStore& trunks,
                           std::shared_ptr<void> owned, store::RoutingStore* routing,
                           store::CallLimitsStore* limits, store::TrunkTlsStore* client_tls)
    : pool_(pool),
      options_(options),
      store_(store),
      trunks_(trunks),
      owned_(std::move(owned)),
      routing_(routing),
      limits_(limits),
      client_tls_(client_tls),
      dns_client_([&] {
        net::DnsClientOptions dns = options.dns;
        if (dns.servers.empty()) dns.servers = net::read_resolv_conf();
        return dns;
      }()),
      locator_(dns_client_, dns_clock_) {}

TrunkService::~TrunkService() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

sip::TrunkClientsOptions TrunkService::client_options(sip::TransactionLayer& layer,
                                                      const Clock& clock,
                                                      std::function<std::string()> make_call_id) {
  return sip::TrunkClientsOptions{
      .layer = layer,
      .clock = clock,
      .make_call_id = std::move(make_call_id),
      .wall_clock = {},
      .user_agent = options_.user_agent,
      .keepalive_interval = options_.keepalive_interval,
      .keepalive_failures_for_down = options_.keepalive_failures_for_down,
      .retry_min = options_.retry_min,
      .retry_max = options_.retry_max,
      .on_status = [this](std::vector<sip::TrunkStatus> status) { publish(std::move(status)); }};
}

void TrunkService::attach(TrunkWorkerHooks hooks) {
  hooks_ = std::move(hooks);
}

void TrunkService::set_local_addresses(std::vector<net::SocketAddress> udp) {
  local_udp_ = std::move(udp);
}

void TrunkService::set_local_tls_addresses(std::vector<net::SocketAddress> tls) {
  local_tls_ = std::move(tls);
}

void TrunkService::start() {
  if (!hooks_ || thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void TrunkService::run() {
  auto next_resolve = std::chrono::steady_clock::now();
  std::unique_lock lock(wake_mutex_);
  while (!stopping_) {
    lock.unlock();
    const auto counter = store_.change_counter();
    const auto now = std::chrono::steady_clock::now();
    const bool moved = counter.ok() && (!last_counter_ || *last_counter_ != *counter);
    if (moved || now >= next_resolve) {
      if (counter.ok()) last_counter_ = *counter;
      dns_valid_until_.reset();
      refresh_calls();
      bool unresolved = false;
      std::vector<sip::TrunkClientConfig> configs = wanted(unresolved);
      next_resolve = now + (unresolved ? options_.unresolved_retry : options_.resolve_interval);
      if (dns_valid_until_) {
        // The servers a trunk's calls may come from follow its DNS (decision 0048): resolve
        // again when the first answer lapses, not minutes later.
        next_resolve =
            std::min(next_resolve, std::max(*dns_valid_until_, now + kShortestDnsRefresh));
      }
      if (!last_wanted_ || *last_wanted_ != configs) {
        last_wanted_ = configs;
        pool_.post(worker(), [apply = hooks_->apply, configs = std::move(configs)]() mutable {
          apply(std::move(configs));
        });
      }
    }
    write_status_file();
    lock.lock();
    wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_; });
  }
}

std::vector<sip::TrunkClientConfig> TrunkService::wanted(bool& unresolved) {
  std::vector<sip::TrunkClientConfig> out;
  auto tenants = store_.list_tenants();
  auto trunks = trunks_.list_trunks(std::nullopt);
  if (!tenants || !trunks) {
    spdlog::warn("trunks: cannot read the store: {}",
                 !tenants ? tenants.error().message : trunks.error().message);
    unresolved = true;
    return last_wanted_.value_or(out);  // keep what runs rather than tearing it all down
  }
  std::map<store::TenantId, std::string> domains;
  for (const store::Tenant& tenant : *tenants) domains[tenant.id] = tenant.domain;
  for (const store::Trunk& trunk : *trunks) {
    if (!trunk.enabled || (!trunk.registers && !trunk.options_keepalive)) continue;
    sip::TrunkClientConfig config;
    config.trunk_id = trunk.id;
    config.tenant_domain = domains[trunk.tenant_id];
    config.name = trunk.name;
    config.registers = trunk.registers;
    config.keepalive = trunk.options_keepalive;
    config.account = sip::RegistrationAccount{.username = trunk.username,
                                              .password = trunk.password,
                                              .auth_realm = trunk.auth_realm,
                                              .expires = trunk.register_expires};
    auto endpoint = resolve_trunk_endpoint(trunk, local_udp_, local_tls_, &locator_);
    note_dns_expiry();
    if (endpoint) {
      config.endpoint = std::move(endpoint).value();
    } else {
      config.unreachable_reason = endpoint.error().message;
      unresolved = true;
      spdlog::warn("trunk {}@{}: {}", trunk.name, config.tenant_domain, config.unreachable_reason);
    }
    out.push_back(std::move(config));
  }
  return out;
}

void TrunkService::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!options_.data_dir.empty()) {
    // A stopped server has no trunk status; `parley trunk status` then says so.
    std::error_code ignored;
    std::filesystem::remove(options_.data_dir / kTrunkStatusFileName, ignored);
  }
  if (!hooks_) return;
  pool_.post(worker(), [shutdown = hooks_->shutdown] { shutdown(); });
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    auto done = std::make_shared<std::promise<bool>>();
    auto answer = done->get_future();
    pool_.post(worker(), [idle = hooks_->idle, done] { done->set_value(idle()); });
    if (answer.wait_until(deadline) != std::future_status::ready) break;
    if (answer.get()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  spdlog::info("trunks: stopped without every unregistration answered");
}

void TrunkService::refresh_calls() {
  auto tenants = store_.list_tenants();
  auto trunks = trunks_.list_trunks(std::nullopt);
  if (!tenants || !trunks) return;  // wanted() reports the same failure
  pbx::TrunkPolicyInputs inputs;
  TrunkCallsSnapshot snapshot;
  std::vector<StreamDestination> destinations;
  for (const store::Tenant& tenant : *tenants) snapshot.domains[tenant.id] = tenant.domain;
  for (const store::Trunk& trunk : *trunks) {
    if (!trunk.enabled) continue;
    // Resolved again here (wanted() skips trunks without registration or keep-alive): an
    // IP-peered trunk needs its address for calls too.
    auto endpoint = resolve_trunk_endpoint(trunk, local_udp_, local_tls_, &locator_);
    note_dns_expiry();
    if (endpoint) {
      const std::string host = unbracketed(trunk.host);
      const bool literal = net::SocketAddress::parse(host).has_value() ||
                           net::SocketAddress::parse(bracketed(host)).has_value();
      const auto allow = [&](const sip::Peer& peer) {
        if (!sip::is_reliable(peer.transport)) return;
        destinations.push_back({peer.transport, peer.remote, literal ? std::string() : host});
      };
      allow(endpoint->peer);
      for (const sip::TrunkTarget& alternate : endpoint->alternates) allow(alternate.peer);
      snapshot.endpoints.emplace(trunk.id, std::move(endpoint).value());
    }
  }
  if (options_.stream_destinations != nullptr) {
    options_.stream_destinations->replace(std::move(destinations));
  }
  inputs.trunks = std::move(trunks).value();
  if (routing_ != nullptr) {
    auto dids = routing_->list_dids(std::nullopt);
    auto routes = routing_->list_outbound_routes(std::nullopt);
    if (!dids || !routes) {
      spdlog::warn("trunks: cannot read DIDs and routes: {}",
                   !dids ? dids.error().message : routes.error().message);
      return;  // keep the previous snapshot
    }
    inputs.dids = std::move(dids).value();
    inputs.routes = std::move(routes).value();
  }
  if (limits_ != nullptr) {
    auto limits = limits_->list_tenant_call_limits();
    auto classes = limits_->list_call_classes();
    if (!limits || !classes) {
      spdlog::warn("trunks: cannot read call limits: {}",
                   !limits ? limits.error().message : classes.error().message);
      return;
    }
    inputs.limits = std::move(limits).value();
    inputs.call_classes = std::move(classes).value();
  }
  snapshot.client_tls = load_client_checks();
  snapshot.policy = pbx::TrunkPolicy::build(std::move(inputs));
  for (const std::string& problem : snapshot.policy.problems()) spdlog::warn("trunks: {}", problem);
  calls_.publish(std::move(snapshot));
}

std::map<store::TrunkId, TrunkClientCheck> TrunkService::load_client_checks() {
  std::map<store::TrunkId, TrunkClientCheck> checks;
  if (client_tls_ == nullptr) return checks;
  auto required = client_tls_->list_trunk_client_tls();
  if (!required) {
    // Fail closed: without the list, the trunks that need a certificate are unknown, and
    // matching them by address would be the hole mutual TLS closes. The next refresh retries.
    spdlog::warn("trunks: cannot read the client certificate settings: {}",
                 required.error().message);
    return last_client_checks_;
  }
  for (const store::TrunkClientTls& tls : *required) {
    TrunkClientCheck check;
    check.expected_name = tls.expected_name;
    check.ca_file = tls.ca_file;
    if (auto anchors = net::TlsTrustAnchors::load(tls.ca_file)) {
      check.anchors = std::move(anchors).value();
    } else if (!last_client_checks_.contains(tls.trunk_id) ||
               last_client_checks_.at(tls.trunk_id).anchors != nullptr) {
      // Said once, not on every refresh: the CA file is read again each time.
      spdlog::warn("trunk {}: mutual TLS: {}; no certificate is accepted until it is fixed",
                   tls.trunk_id, anchors.error().message);
    }
    checks.emplace(tls.trunk_id, std::move(check));
  }
  last_client_checks_ = checks;
  return checks;
}

void TrunkService::note_dns_expiry() {
  const auto lapses = locator_.last_valid_until();
  if (lapses && (!dns_valid_until_ || *lapses < *dns_valid_until_)) dns_valid_until_ = lapses;
}

void TrunkService::publish(std::vector<sip::TrunkStatus> status) {
  calls_.set_status(status);
  std::lock_guard lock(status_mutex_);
  status_ = std::move(status);
}

std::vector<TrunkStatusRow> TrunkService::status() const {
  std::vector<sip::TrunkStatus> clients;
  {
    std::lock_guard lock(status_mutex_);
    clients = status_;
  }
  const auto snapshot = calls_.current();
  const auto calls = calls_.calls_in_progress();
  std::vector<TrunkStatusRow> rows;
  for (const store::Trunk& trunk : snapshot->policy.trunks()) {
    TrunkStatusRow row;
    const auto domain = snapshot->domains.find(trunk.tenant_id);
    row.tenant_domain = domain != snapshot->domains.end() ? domain->second : std::string();
    row.trunk_name = trunk.name;
    row.enabled = trunk.enabled;
    row.max_calls = trunk.max_calls;
    const auto up = calls.find(trunk.id);
    row.calls = up != calls.end() ? up->second : 0;
    row.registration = trunk.enabled ? "peered" : "disabled";
    row.keepalive = "off";
    const auto client = std::find_if(clients.begin(), clients.end(), [&](const auto& entry) {
      return entry.tenant_domain == row.tenant_domain && entry.name == trunk.name;
    });
    if (trunk.enabled && client != clients.end()) {
      const bool failed = client->registration.state == sip::RegistrationState::kFailed;
      if (client->registers || failed) {
        row.registration = std::string(to_text(client->registration.state));
      }
      row.last_code =
          client->registers ? client->registration.last_code : client->reachability.last_code;
      row.reason = client->registers || failed ? client->registration.reason : std::string();
      if (client->registration.state == sip::RegistrationState::kRegistered) {
        row.expires_at = client->registration.expires_at;
      }
      row.keepalive = client->keepalive ? std::string(to_text(client->reachability.state)) : "off";
      row.since = std::max(client->registration.since, client->reachability.since);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

void TrunkService::write_status_file() {
  if (options_.data_dir.empty()) return;
  TrunkStatusReport report;
  report.written_at = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  report.pid = static_cast<std::int64_t>(::getpid());
  report.rows = status();
  if (auto written = write_trunk_status(options_.data_dir / kTrunkStatusFileName, report);
      !written && !status_file_failed_) {
    status_file_failed_ = true;  // said once; `parley trunk status` will call the file stale
    spdlog::warn("trunks: {}", written.error().message);
  }
}

}  // namespace parley::app
