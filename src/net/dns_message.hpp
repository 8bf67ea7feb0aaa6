#pragma once
// DNS messages (RFC 1035) as far as locating SIP servers needs them (RFC 3263): a query for one
// name and type, and the parse of an answer with the A, AAAA, SRV (RFC 2782) and NAPTR
// (RFC 3403) records it carries. Pure bytes in, values out: no sockets here (dns_client.hpp).
//
// The parser takes anything a network hands it: every length and offset is checked, name
// compression pointers may only point backwards and are followed a bounded number of times,
// names are at most 255 bytes, and at most kDnsMaxRecords records per section are kept (the rest
// are skipped, so a huge answer costs bounded memory). Records of other types are skipped.
//
// Values only; thread-safety as any value type.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace parley::net {

enum class DnsType : std::uint16_t { kA = 1, kCname = 5, kAaaa = 28, kSrv = 33, kNaptr = 35 };
std::string_view to_text(DnsType type);  // "A", "AAAA", "SRV", "NAPTR", "CNAME"

enum class DnsRcode : std::uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5
};

constexpr std::size_t kDnsMaxRecords = 64;
// Our EDNS0 advertised payload size (RFC 6891): answers above it come truncated over UDP.
constexpr std::uint16_t kDnsUdpPayload = 4096;

struct DnsSrvData {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // lower-case, no trailing dot; "." (none) becomes ""
  bool operator==(const DnsSrvData&) const = default;
};

struct DnsNaptrData {
  std::uint16_t order = 0;
  std::uint16_t preference = 0;
  std::string flags;
  std::string service;
  std::string regexp;
  std::string replacement;  // lower-case, no trailing dot; "" for the root
  bool operator==(const DnsNaptrData&) const = default;
};

// One resource record of a type we understand; only the member of its type is set.
struct DnsRecord {
  std::string name;  // owner name, lower-case, no trailing dot
  DnsType type = DnsType::kA;
  std::uint32_t ttl = 0;
  std::string address;  // A/AAAA: the address as text ("192.0.2.1", "2001:db8::1")
  std::string cname;    // CNAME: the canonical name
  DnsSrvData srv;
  DnsNaptrData naptr;
};

struct DnsMessage {
  std::uint16_t id = 0;
  bool response = false;
  bool truncated = false;
  DnsRcode rcode = DnsRcode::kNoError;
  std::string question_name;  // the first question, lower-case, no trailing dot
  std::uint16_t question_type = 0;
  std::vector<DnsRecord> answers;
  std::vector<DnsRecord> additional;
};

// A recursion-desired query for `name` (dots between labels, a trailing dot allowed) with an
// EDNS0 OPT record. Fails for a name that is empty, too long, or has an empty or 64+ byte label.
Result<std::vector<std::uint8_t>> build_dns_query(std::uint16_t id, std::string_view name,
                                                  DnsType type);

// Parses a whole message (a response, or a query: then answers are usually empty).
Result<DnsMessage> parse_dns_message(std::span<const std::uint8_t> bytes);

// Writes resource records for a DNS message (the test peers' answers, and our own tests): the
// caller assembles header and question with DnsMessageWriter and appends records.
class DnsMessageWriter {
 public:
  // Header for an answer to `question` of `type` with `rcode`; the counts are fixed by bytes().
  DnsMessageWriter(std::uint16_t id, std::string_view question, DnsType type,
                   DnsRcode rcode = DnsRcode::kNoError, bool truncated = false);
  void add_answer(const DnsRecord& record) { add(record, false); }
  void add_additional(const DnsRecord& record) { add(record, true); }
  std::vector<std::uint8_t> bytes() const;

 private:
  void add(const DnsRecord& record, bool additional);
  std::vector<std::uint8_t> head_;
  std::vector<std::uint8_t> answer_bytes_;
  std::vector<std::uint8_t> additional_bytes_;
  std::uint16_t answers_ = 0;
  std::uint16_t additional_ = 0;
};

}  // namespace parley::net
