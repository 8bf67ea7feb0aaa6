// libFuzzer target: the DNS answer parser (net/dns_message.hpp, decision 0042) reads whatever a
// nameserver, or whoever spoofs one, sends; it must never crash, and what it accepts must keep
// its promises: at most kDnsMaxRecords records per section, names of at most 255 bytes in
// lower case, A records that are IPv4 and AAAA records that are IPv6 text.

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "net/dns_message.hpp"

namespace {

bool plausible_name(const std::string& name) {
  if (name.size() > 255) return false;
  for (const char c : name) {
    if (c >= 'A' && c <= 'Z') return false;
  }
  return true;
}

bool plausible(const parley::net::DnsRecord& record) {
  using parley::net::DnsType;
  if (!plausible_name(record.name)) return false;
  switch (record.type) {
    case DnsType::kA:
      return record.address.find('.') != std::string::npos;
    case DnsType::kAaaa:
      return record.address.find(':') != std::string::npos;
    case DnsType::kSrv:
      return plausible_name(record.srv.target);
    case DnsType::kNaptr:
      return plausible_name(record.naptr.replacement) && record.naptr.flags.size() < 256;
    case DnsType::kCname:
      return plausible_name(record.cname);
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace net = parley::net;
  auto parsed = net::parse_dns_message(std::span(data, size));
  if (!parsed.ok()) return 0;
  if (parsed->answers.size() > net::kDnsMaxRecords ||
      parsed->additional.size() > net::kDnsMaxRecords || !plausible_name(parsed->question_name)) {
    std::abort();
  }
  for (const auto& record : parsed->answers) {
    if (!plausible(record)) std::abort();
  }
  for (const auto& record : parsed->additional) {
    if (!plausible(record)) std::abort();
  }
  // A query for what was asked must build whenever the name is one DNS can carry.
  if (!parsed->question_name.empty()) {
    (void)net::build_dns_query(parsed->id, parsed->question_name, net::DnsType::kSrv);
  }
  return 0;
}
