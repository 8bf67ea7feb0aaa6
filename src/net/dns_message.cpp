#include "net/dns_message.hpp"

#include <arpa/inet.h>

#include <array>
#include <optional>

namespace parley::net {
namespace {

constexpr std::size_t kHeaderBytes = 12;
constexpr std::size_t kMaxNameBytes = 255;  // RFC 1035 §2.3.4, in wire form
constexpr std::size_t kMaxLabelBytes = 63;
constexpr int kMaxPointerJumps = 32;
constexpr std::uint16_t kClassIn = 1;
constexpr std::uint16_t kTypeOpt = 41;
constexpr std::uint16_t kFlagResponse = 0x8000;
constexpr std::uint16_t kFlagTruncated = 0x0200;
constexpr std::uint16_t kFlagRecursionDesired = 0x0100;
constexpr std::uint16_t kFlagRecursionAvailable = 0x0080;

Error malformed(std::string what) {
  return make_error(0, "malformed DNS message: " + std::move(what));
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t offset() const { return offset_; }
  void seek(std::size_t offset) { offset_ = offset; }
  bool has(std::size_t count) const {
    return offset_ <= bytes_.size() && bytes_.size() - offset_ >= count;
  }

  Result<std::uint16_t> u16() {
    if (!has(2)) return malformed("cut short");
    const auto value = static_cast<std::uint16_t>((bytes_[offset_] << 8) | bytes_[offset_ + 1]);
    offset_ += 2;
    return value;
  }
  Result<std::uint32_t> u32() {
    auto high = u16();
    if (!high) return high.error();
    auto low = u16();
    if (!low) return low.error();
    return (static_cast<std::uint32_t>(*high) << 16) | *low;
  }
  // A <character-string>: a length byte and that many bytes.
  Result<std::string> text() {
    if (!has(1)) return malformed("cut short");
    const std::size_t length = bytes_[offset_];
    if (!has(1 + length)) return malformed("character-string past the end");
    std::string out(reinterpret_cast<const char*>(&bytes_[offset_ + 1]), length);  // NOLINT
    offset_ += 1 + length;
    return out;
  }
  // A domain name, following compression pointers (only backwards, a bounded number of times).
  // Lower-case, labels joined with dots, no trailing dot; the root is "".
  Result<std::string> name() {
    std::string out;
    std::size_t position = offset_;
    std::size_t wire_length = 1;
    std::optional<std::size_t> resume;
    int jumps = 0;
    while (true) {
      if (position >= bytes_.size()) return malformed("name past the end");
      const std::uint8_t length = bytes_[position];
      if ((length & 0xC0) == 0xC0) {
        if (position + 1 >= bytes_.size()) return malformed("name pointer past the end");
        const std::size_t target =
            (static_cast<std::size_t>(length & 0x3F) << 8) | bytes_[position + 1];
        if (target >= position || ++jumps > kMaxPointerJumps) {
          return malformed("name pointer that does not point backwards");
        }
        if (!resume) resume = position + 2;
        position = target;
        continue;
      }
      if ((length & 0xC0) != 0) return malformed("unknown label type");
      if (length == 0) {
        offset_ = resume.value_or(position + 1);
        return out;
      }
      wire_length += 1 + length;
      if (wire_length > kMaxNameBytes) return malformed("name longer than 255 bytes");
      if (position + 1 + length > bytes_.size()) return malformed("label past the end");
      if (!out.empty()) out.push_back('.');
      for (std::size_t i = 0; i < length; ++i)
        out.push_back(lower(static_cast<char>(bytes_[position + 1 + i])));
      position += 1 + length;
    }
  }

  std::span<const std::uint8_t> bytes() const { return bytes_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

std::string address_text(const std::uint8_t* raw, bool v6) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, raw, text.data(), text.size());
  return text.data();
}

// Reads the rdata of a record of a known type. False (with no error) for a type we skip.
Result<bool> read_rdata(Reader& reader, std::uint16_t type, std::size_t length, DnsRecord& out) {
  const std::size_t start = reader.offset();
  const std::size_t end = start + length;
  const auto raw = reader.bytes().subspan(start, length);
  switch (type) {
    case static_cast<std::uint16_t>(DnsType::kA):
      if (length != 4) return malformed("A record of " + std::to_string(length) + " bytes");
      out.address = address_text(raw.data(), false);
      break;
    case static_cast<std::uint16_t>(DnsType::kAaaa):
      if (length != 16) return malformed("AAAA record of " + std::to_string(length) + " bytes");
      out.address = address_text(raw.data(), true);
      break;
    case static_cast<std::uint16_t>(DnsType::kCname): {
      auto name = reader.name();
      if (!name) return name.error();
      out.cname = std::move(name).value();
      break;
    }
    case static_cast<std::uint16_t>(DnsType::kSrv): {
      auto priority = reader.u16();
      auto weight = reader.u16();
      auto port = reader.u16();
      if (!priority || !weight || !port) return malformed("SRV record cut short");
      auto target = reader.name();
      if (!target) return target.error();
      out.srv = {*priority, *weight, *port, std::move(target).value()};
      break;
    }
    case static_cast<std::uint16_t>(DnsType::kNaptr): {
      auto order = reader.u16();
      auto preference = reader.u16();
      if (!order || !preference) return malformed("NAPTR record cut short");
      auto flags = reader.text();
      if (!flags) return flags.error();
      auto service = reader.text();
      if (!service) return service.error();
      auto regexp = reader.text();
      if (!regexp) return regexp.error();
      auto replacement = reader.name();
      if (!replacement) return replacement.error();
      out.naptr = {*order,
                   *preference,
                   std::move(flags).value(),
                   std::move(service).value(),
                   std::move(regexp).value(),
                   std::move(replacement).value()};
      break;
    }
    default:
      reader.seek(end);
      return false;
  }
  if (type != static_cast<std::uint16_t>(DnsType::kA) &&
      type != static_cast<std::uint16_t>(DnsType::kAaaa) && reader.offset() != end) {
    return malformed(std::string(to_text(static_cast<DnsType>(type))) +
                     " record data does not match its length");
  }
  reader.seek(end);
  out.type = static_cast<DnsType>(type);
  return true;
}

Result<void> read_section(Reader& reader, std::uint16_t count, std::vector<DnsRecord>* keep) {
  for (std::uint16_t i = 0; i < count; ++i) {
    auto name = reader.name();
    if (!name) return name.error();
    auto type = reader.u16();
    auto klass = reader.u16();
    auto ttl = reader.u32();
    auto length = reader.u16();
    if (!type || !klass || !ttl || !length) return malformed("record header cut short");
    if (!reader.has(*length)) return malformed("record data past the end");
    DnsRecord record;
    record.name = std::move(name).value();
    // RFC 2181 §8: a TTL with the top bit set counts as zero.
    record.ttl = (*ttl & 0x80000000u) != 0 ? 0 : *ttl;
    if (*klass != kClassIn || *type == kTypeOpt || keep == nullptr ||
        keep->size() >= kDnsMaxRecords) {
      reader.seek(reader.offset() + *length);
      continue;
    }
    auto known = read_rdata(reader, *type, *length, record);
    if (!known) return known.error();
    if (*known) keep->push_back(std::move(record));
  }
  return {};
}

// Appends `name` in wire form (uncompressed). Fails for names DNS cannot carry.
Result<void> write_name(std::vector<std::uint8_t>& out, std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::size_t wire_length = 1;
  while (!name.empty()) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > kMaxLabelBytes) {
      return make_error(0, "not a DNS name: empty or over-long label");
    }
    wire_length += 1 + label.size();
    if (wire_length > kMaxNameBytes) return make_error(0, "not a DNS name: over 255 bytes");
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  out.push_back(0);
  return {};
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xFF));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  put16(out, static_cast<std::uint16_t>(value >> 16));
  put16(out, static_cast<std::uint16_t>(value & 0xFFFF));
}

void put_text(std::vector<std::uint8_t>& out, std::string_view text) {
  text = text.substr(0, 255);
  out.push_back(static_cast<std::uint8_t>(text.size()));
  out.insert(out.end(), text.begin(), text.end());
}

void put_header(std::vector<std::uint8_t>& out, std::uint16_t id, std::uint16_t flags,
                std::uint16_t questions, std::uint16_t answers, std::uint16_t additional) {
  put16(out, id);
  put16(out, flags);
  put16(out, questions);
  put16(out, answers);
  put16(out, 0);
  put16(out, additional);
}

}  // namespace

std::string_view to_text(DnsType type) {
  switch (type) {
    case DnsType::kA:
      return "A";
    case DnsType::kCname:
      return "CNAME";
    case DnsType::kAaaa:
      return "AAAA";
    case DnsType::kSrv:
      return "SRV";
    case DnsType::kNaptr:
      return "NAPTR";
  }
  return "?";
}

Result<std::vector<std::uint8_t>> build_dns_query(std::uint16_t id, std::string_view name,
                                                  DnsType type) {
  if (name.empty() || name == ".") return make_error(0, "not a DNS name: empty");
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderBytes + name.size() + 2 + 4 + 11);
  put_header(out, id, kFlagRecursionDesired, 1, 0, 1);
  if (auto written = write_name(out, name); !written) return written.error();
  put16(out, static_cast<std::uint16_t>(type));
  put16(out, kClassIn);
  // EDNS0 OPT pseudo-record (RFC 6891): root name, our UDP payload size in the class field.
  out.push_back(0);
  put16(out, kTypeOpt);
  put16(out, kDnsUdpPayload);
  put32(out, 0);
  put16(out, 0);
  return out;
}

Result<DnsMessage> parse_dns_message(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kHeaderBytes) return malformed("shorter than its header");
  Reader reader(bytes);
  DnsMessage message;
  const auto id = reader.u16();
  const auto flags = reader.u16();
  const auto questions = reader.u16();
  const auto answers = reader.u16();
  const auto authority = reader.u16();
  const auto additional = reader.u16();
  message.id = *id;
  message.response = (*flags & kFlagResponse) != 0;
  message.truncated = (*flags & kFlagTruncated) != 0;
  message.rcode = static_cast<DnsRcode>(*flags & 0x0F);
  for (std::uint16_t i = 0; i < *questions; ++i) {
    auto name = reader.name();
    if (!name) return name.error();
    auto type = reader.u16();
    auto klass = reader.u16();
    if (!type || !klass) return malformed("question cut short");
    if (i == 0) {
      message.question_name = std::move(name).value();
      message.question_type = *type;
    }
  }
  if (auto read = read_section(reader, *answers, &message.answers); !read) return read.error();
  if (auto read = read_section(reader, *authority, nullptr); !read) return read.error();
  if (auto read = read_section(reader, *additional, &message.additional); !read) {
    return read.error();
  }
  return message;
}

DnsMessageWriter::DnsMessageWriter(std::uint16_t id, std::string_view question, DnsType type,
                                   DnsRcode rcode, bool truncated) {
  const auto flags = static_cast<std::uint16_t>(
      kFlagResponse | kFlagRecursionDesired | kFlagRecursionAvailable |
      (truncated ? kFlagTruncated : 0) | static_cast<std::uint16_t>(rcode));
  put_header(head_, id, flags, 1, 0, 0);
  if (!write_name(head_, question)) head_.push_back(0);
  put16(head_, static_cast<std::uint16_t>(type));
  put16(head_, kClassIn);
}

void DnsMessageWriter::add(const DnsRecord& record, bool additional) {
  std::vector<std::uint8_t>& out = additional ? additional_bytes_ : answer_bytes_;
  ++(additional ? additional_ : answers_);
  if (!write_name(out, record.name)) out.push_back(0);
  put16(out, static_cast<std::uint16_t>(record.type));
  put16(out, kClassIn);
  put32(out, record.ttl);
  std::vector<std::uint8_t> data;
  switch (record.type) {
    case DnsType::kA:
    case DnsType::kAaaa: {
      std::array<std::uint8_t, 16> raw{};
      const bool v6 = record.type == DnsType::kAaaa;
      ::inet_pton(v6 ? AF_INET6 : AF_INET, record.address.c_str(), raw.data());
      data.assign(raw.begin(), raw.begin() + (v6 ? 16 : 4));
      break;
    }
    case DnsType::kCname:
      if (!write_name(data, record.cname)) data.push_back(0);
      break;
    case DnsType::kSrv:
      put16(data, record.srv.priority);
      put16(data, record.srv.weight);
      put16(data, record.srv.port);
      if (!write_name(data, record.srv.target)) data.push_back(0);
      break;
    case DnsType::kNaptr:
      put16(data, record.naptr.order);
      put16(data, record.naptr.preference);
      put_text(data, record.naptr.flags);
      put_text(data, record.naptr.service);
      put_text(data, record.naptr.regexp);
      if (!write_name(data, record.naptr.replacement)) data.push_back(0);
      break;
  }
  put16(out, static_cast<std::uint16_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
}

std::vector<std::uint8_t> DnsMessageWriter::bytes() const {
  std::vector<std::uint8_t> out = head_;
  out[6] = static_cast<std::uint8_t>(answers_ >> 8);
  out[7] = static_cast<std::uint8_t>(answers_ & 0xFF);
  out[10] = static_cast<std::uint8_t>(additional_ >> 8);
  out[11] = static_cast<std::uint8_t>(additional_ & 0xFF);
  out.insert(out.end(), answer_bytes_.begin(), answer_bytes_.end());
  out.insert(out.end(), additional_bytes_.begin(), additional_bytes_.end());
  return out;
}

}  // namespace parley::net
