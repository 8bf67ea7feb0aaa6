#include "sip/server_locator.hpp"

#include <algorithm>
#include <array>
#include <tuple>

#include "base/ascii.hpp"

namespace parley::sip {
namespace {

constexpr std::uint16_t kDefaultSipPort = 5060;
constexpr std::uint16_t kDefaultSipsPort = 5061;
constexpr std::size_t kMaxCacheEntries = 1024;

std::uint16_t default_port(TransportKind transport) {
  return transport == TransportKind::kTls ? kDefaultSipsPort : kDefaultSipPort;
}

using base::iequals;

std::string normalised_host(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::string out(host);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string srv_name(TransportKind transport, const std::string& host) {
  switch (transport) {
    case TransportKind::kTls:
      return "_sips._tcp." + host;
    case TransportKind::kTcp:
      return "_sip._tcp." + host;
    default:
      return "_sip._udp." + host;
  }
}

}  // namespace

std::optional<TransportKind> transport_of_naptr_service(std::string_view service) {
  if (iequals(service, "SIP+D2U")) return TransportKind::kUdp;
  if (iequals(service, "SIP+D2T")) return TransportKind::kTcp;
  if (iequals(service, "SIPS+D2T")) return TransportKind::kTls;
  return std::nullopt;
}

std::vector<net::DnsSrvData> order_srv(std::vector<net::DnsSrvData> records,
                                       const std::function<std::uint32_t(std::uint32_t)>& random) {
  std::stable_sort(records.begin(), records.end(),
                   [](const auto& a, const auto& b) { return a.priority < b.priority; });
  std::vector<net::DnsSrvData> out;
  out.reserve(records.size());
  auto group = records.begin();
  while (group != records.end()) {
    const auto group_end = std::find_if(group, records.end(), [&](const auto& record) {
      return record.priority != group->priority;
    });
    std::vector<net::DnsSrvData> left(group, group_end);
    std::stable_partition(left.begin(), left.end(),
                          [](const auto& record) { return record.weight == 0; });
    while (!left.empty()) {
      std::uint32_t sum = 0;
      for (const auto& record : left) sum += record.weight;
      const std::uint32_t pick = std::min(random(sum), sum);
      std::uint32_t running = 0;
      auto chosen = left.begin();
      for (; chosen != left.end(); ++chosen) {
        running += chosen->weight;
        if (running >= pick) break;
      }
      if (chosen == left.end()) chosen = std::prev(left.end());
      out.push_back(std::move(*chosen));
      left.erase(chosen);
    }
    group = group_end;
  }
  return out;
}

ServerLocator::ServerLocator(net::DnsLookup& dns, const Clock& clock, ServerLocatorOptions options)
    : dns_(dns), clock_(clock), options_(options), random_(std::random_device{}()) {}

Result<ServerLocator::Answer> ServerLocator::lookup(const std::string& name, net::DnsType type) {
  const auto key = std::make_pair(static_cast<std::uint16_t>(type), name);
  const TimePoint now = clock_.now();
  const auto note_expiry = [this](TimePoint expires) {
    valid_until_ = valid_until_ ? std::min(*valid_until_, expires) : expires;
  };
  if (const auto cached = cache_.find(key);
      cached != cache_.end() && now < cached->second.expires) {
    note_expiry(cached->second.expires);
    return cached->second.answer;
  }
  ++queries_;
  auto message = dns_.query(name, type);
  if (!message) return message.error();
  Answer answer;
  answer.exists = message->rcode != net::DnsRcode::kNxDomain;
  std::uint32_t ttl = 0xFFFFFFFFu;
  for (net::DnsRecord& record : message->answers) {
    if (record.type != type) continue;  // CNAMEs on the way are followed by the recursive server
    ttl = std::min(ttl, record.ttl);
    answer.records.push_back(std::move(record));
  }
  const Duration keep = answer.records.empty()
                            ? options_.negative_ttl
                            : std::min<Duration>(std::chrono::seconds(ttl), options_.max_ttl);
  if (cache_.size() >= kMaxCacheEntries) {
    std::erase_if(cache_, [&](const auto& entry) { return entry.second.expires <= now; });
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
  }
  cache_[key] = CacheEntry{answer, now + keep};
  note_expiry(now + keep);
  return answer;
}

Result<std::vector<net::SocketAddress>> ServerLocator::addresses(const std::string& name,
                                                                 std::uint16_t port, bool& exists) {
  std::vector<net::SocketAddress> out;
  std::optional<Error> failure;
  exists = false;
  for (const net::DnsType type : {net::DnsType::kA, net::DnsType::kAaaa}) {
    auto answer = lookup(name, type);
    if (!answer) {
      failure = answer.error();
      continue;
    }
    exists = exists || answer->exists;
    for (const net::DnsRecord& record : answer->records) {
      const std::string text =
          type == net::DnsType::kAaaa ? "[" + record.address + "]" : record.address;
      if (auto address = net::SocketAddress::parse(text, port)) out.push_back(*address);
      if (out.size() >= options_.max_targets) return out;
    }
  }
  if (out.empty() && failure) return *failure;
  return out;
}

Result<bool> ServerLocator::from_srv(const std::string& name, TransportKind transport,
                                     std::vector<ServerTarget>& out) {
  auto answer = lookup(name, net::DnsType::kSrv);
  if (!answer) return answer.error();
  if (answer->records.empty()) return false;
  std::vector<net::DnsSrvData> records;
  for (const net::DnsRecord& record : answer->records) {
    if (records.size() >= options_.max_srv) break;
    records.push_back(record.srv);
  }
  const auto ordered = order_srv(std::move(records), [this](std::uint32_t bound) {
    return std::uniform_int_distribution<std::uint32_t>(0, bound)(random_);
  });
  for (const net::DnsSrvData& srv : ordered) {
    if (srv.target.empty() || srv.port == 0) continue;  // "." : not offered there
    bool exists = false;
    auto found = addresses(srv.target, srv.port, exists);
    if (!found) continue;  // another target may still answer
    for (const net::SocketAddress& address : *found) {
      if (out.size() >= options_.max_targets) return true;
      ServerTarget target{transport, address, srv.target};
      if (std::find(out.begin(), out.end(), target) == out.end()) out.push_back(std::move(target));
    }
  }
  return true;
}

Result<std::vector<ServerTarget>> ServerLocator::locate(std::string_view host_text,
                                                        std::uint16_t port,
                                                        std::optional<TransportKind> transport) {
  valid_until_.reset();
  const std::string host = normalised_host(host_text);
  if (host.empty()) return make_error(0, "no host");
  const TransportKind fallback = transport.value_or(TransportKind::kUdp);
  const std::uint16_t fixed_port = port != 0 ? port : default_port(fallback);
  if (auto literal = net::SocketAddress::parse(host, fixed_port)) {
    return std::vector<ServerTarget>{{fallback, *literal, host}};
  }
  if (auto literal6 = net::SocketAddress::parse("[" + host + "]", fixed_port)) {
    return std::vector<ServerTarget>{{fallback, *literal6, host}};
  }
  std::vector<ServerTarget> out;
  const auto from_addresses = [&]() -> Result<std::vector<ServerTarget>> {
    bool exists = false;
    auto found = addresses(host, fixed_port, exists);
    if (!found) return make_error(0, "cannot resolve " + host + ": " + found.error().message);
    if (!exists) return make_error(0, host + " does not exist (NXDOMAIN)");
    for (const net::SocketAddress& address : *found) out.push_back({fallback, address, host});
    if (out.empty()) {
      return make_error(0, host + (port != 0 ? " has no A or AAAA record"
                                             : " has no NAPTR, SRV, A or AAAA record"));
    }
    return out;
  };
  if (port != 0) return from_addresses();

  auto naptr = lookup(host, net::DnsType::kNaptr);
  if (!naptr) return make_error(0, "cannot resolve " + host + ": " + naptr.error().message);
  if (!naptr->exists) return make_error(0, host + " does not exist (NXDOMAIN)");
  std::vector<net::DnsNaptrData> services;
  for (const net::DnsRecord& record : naptr->records) {
    const auto kind = transport_of_naptr_service(record.naptr.service);
    if (!kind || !iequals(record.naptr.flags, "s") || record.naptr.replacement.empty()) continue;
    if (transport && *kind != *transport) continue;
    services.push_back(record.naptr);
    if (services.size() >= options_.max_naptr) break;
  }
  std::stable_sort(services.begin(), services.end(), [](const auto& a, const auto& b) {
    return std::tie(a.order, a.preference) < std::tie(b.order, b.preference);
  });
  bool any_srv = false;
  for (const net::DnsNaptrData& service : services) {
    auto had = from_srv(service.replacement, *transport_of_naptr_service(service.service), out);
    any_srv = any_srv || (had && *had);
    if (out.size() >= options_.max_targets) break;
  }
  if (out.empty() && services.empty()) {
    std::vector<TransportKind> kinds;
    if (transport) {
      kinds = {*transport};
    } else {
      kinds = {TransportKind::kTls, TransportKind::kTcp, TransportKind::kUdp};
    }
    for (const TransportKind kind : kinds) {
      auto had = from_srv(srv_name(kind, host), kind, out);
      if (!had) return make_error(0, "cannot resolve " + host + ": " + had.error().message);
      any_srv = any_srv || *had;
    }
  }
  if (!out.empty()) return out;
  if (any_srv || !services.empty()) {
    return make_error(0, "the SRV targets of " + host + " have no address (or are \".\")");
  }
  return from_addresses();
}

}  // namespace parley::sip
