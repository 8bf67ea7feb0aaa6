// Property: parse -> serialise -> parse keeps the start line, the (name, value) list of header
// fields and the body, for every torture message that parses and for generated messages.

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "protocol/sip/message.hpp"

namespace parley::protocol::sip {
namespace {

// Serialising splits list headers one per line, which may lengthen a message a little.
ParseLimits roomy() {
  ParseLimits limits;
  limits.max_message_bytes = 1u << 20;
  limits.max_line_bytes = 1u << 20;
  limits.max_header_fields = 4096;
  return limits;
}

void expect_round_trip(const std::string& bytes, const std::string& label) {
  auto first = parse_message(bytes, roomy());
  if (!first.ok()) return;
  const std::string text = serialise(*first);
  auto second = parse_message(text, roomy());
  ASSERT_TRUE(second.ok()) << label << ": " << second.error().message << "\n" << text;
  const Message& a = *first;
  const Message& b = *second;
  EXPECT_EQ(a.is_request(), b.is_request()) << label;
  EXPECT_EQ(a.method_text(), b.method_text()) << label;
  EXPECT_EQ(a.request_uri(), b.request_uri()) << label;
  EXPECT_EQ(a.version(), b.version()) << label;
  EXPECT_EQ(a.status_code(), b.status_code()) << label;
  EXPECT_EQ(a.reason_phrase(), b.reason_phrase()) << label;
  ASSERT_EQ(a.headers().size(), b.headers().size()) << label;
  for (std::size_t i = 0; i < a.headers().size(); ++i) {
    EXPECT_EQ(a.headers()[i].id, b.headers()[i].id) << label << " #" << i;
    EXPECT_EQ(a.name(a.headers()[i]), b.name(b.headers()[i])) << label << " #" << i;
    EXPECT_EQ(a.value(a.headers()[i]), b.value(b.headers()[i])) << label << " #" << i;
  }
  EXPECT_EQ(a.body(), b.body()) << label;
  EXPECT_EQ(a.call_id(), b.call_id()) << label;
  EXPECT_EQ(a.from_tag(), b.from_tag()) << label;
  EXPECT_EQ(a.to_tag(), b.to_tag()) << label;
  EXPECT_EQ(a.top_via_branch(), b.top_via_branch()) << label;
  // Serialising is a fixed point after one round.
  EXPECT_EQ(serialise(b), text) << label;
}

std::string read_file(const std::string& relative) {
  std::ifstream in(std::string(PARLEY_TEST_DATA) + "/" + relative, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(RoundTrip, TortureMessages) {
  std::istringstream lines(read_file("torture-verdicts.tsv"));
  std::string line;
  int parsed = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::string file = line.substr(0, line.find('\t'));
    const std::string bytes = read_file(file);
    if (parse_message(bytes, roomy()).ok()) ++parsed;
    expect_round_trip(bytes, file);
  }
  EXPECT_GE(parsed, 35);
}

// Builds random but valid messages exercising case, compact forms, whitespace, folding, lists,
// quoting and line-ending variants.
class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  std::string message() {
    eol_ = pick({"\r\n", "\r\n", "\n"});
    std::string m;
    const bool request = chance(4, 5);
    std::string method = pick({"INVITE", "OPTIONS", "REGISTER", "BYE", "FOO-BAR.baz!"});
    if (request) {
      m += method + " " +
           pick({"sip:bob@example.com", "sips:[2001:db8::1]:5061;transport=tls", "tel:+1-555-0100",
                 "sip:u%40x@h;lr?subject=hi", "urn:service:sos"}) +
           " SIP/2.0" + eol_;
    } else {
      m += "SIP/2.0 " + std::to_string(100 + uniform(0, 599)) + " " +
           pick({"OK", "", "Ringing  twice", "\xc3\xa9t\xc3\xa9"}) + eol_;
    }
    std::vector<std::string> lines;
    lines.push_back(header("Via", "v", via_list()));
    lines.push_back(header("From", "f", address() + ";tag=" + token()));
    lines.push_back(header("To", "t", address() + (chance(1, 2) ? ";tag=" + token() : "")));
    lines.push_back(header("Call-ID", "i", token() + "@" + token()));
    lines.push_back(header("CSeq", "CSEQ", std::to_string(uniform(0, 1 << 30)) + fold() + method));
    const int extras = uniform(0, 8);
    for (int i = 0; i < extras; ++i) lines.push_back(extra_header());
    std::shuffle(lines.begin() + 1, lines.end(), rng_);
    for (const auto& l : lines) m += l;
    std::string body;
    const int body_size = uniform(0, 3) == 0 ? 0 : uniform(0, 200);
    for (int i = 0; i < body_size; ++i) body.push_back(static_cast<char>(uniform(0, 255)));
    if (chance(3, 4)) m += header("Content-Length", "l", std::to_string(body.size()));
    m += eol_ + body;
    if (chance(1, 4)) m += "trailing garbage after the body";
    return m;
  }

 private:
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int n, int d) { return uniform(1, d) <= n; }
  std::string pick(std::initializer_list<const char*> options) {
    auto it = options.begin();
    std::advance(it, uniform(0, static_cast<int>(options.size()) - 1));
    return *it;
  }
  std::string token() {
    static constexpr std::string_view kChars = "abcXYZ019-.!%*_+`'~";
    std::string t;
    const int n = uniform(1, 12);
    for (int i = 0; i < n; ++i) {
      t.push_back(
          kChars[static_cast<std::size_t>(uniform(0, static_cast<int>(kChars.size()) - 1))]);
    }
    return t;
  }
  std::string ws() { return pick({"", " ", "  ", "\t", " \t "}); }
  std::string fold() { return chance(1, 5) ? eol_ + pick({" ", "\t", "   "}) : " "; }
  std::string randomise_case(std::string name) {
    for (char& c : name) {
      if (chance(1, 3))
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      else if (chance(1, 2))
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return name;
  }
  std::string header(const std::string& name, const std::string& compact,
                     const std::string& value) {
    const std::string written = chance(1, 4) ? compact : randomise_case(name);
    return written + ws() + ":" + ws() + value + ws() + eol_;
  }
  std::string address() {
    std::string a = pick({"<sip:alice@example.com>", "\"Alice, A.\" <sip:a@x;lr>",
                          "sip:bob@192.0.2.4:5060", "Bob <sips:bob@[::1]>", "<tel:+15550100>",
                          "\"q\\\"uote\" <sip:q@h>", "<http://example.com/x>"});
    return a + (chance(1, 3) ? ws() + ";" + ws() + "x=" + token() : "");
  }
  std::string via() {
    return "SIP" + ws() + "/" + ws() + "2.0/" + pick({"UDP", "TCP", "TLS", "WS"}) + " " +
           pick({"host.example.com", "192.0.2.9:5062", "[2001:db8::9]:5070", "h"}) +
           ";branch=" + "z9hG4bK" + token() + (chance(1, 3) ? ";rport" : "") +
           (chance(1, 4) ? ";received=[::1]" : "");
  }
  std::string via_list() {
    std::string v = via();
    const int more = uniform(0, 3);
    for (int i = 0; i < more; ++i) v += ws() + "," + fold() + via();
    return v;
  }
  std::string extra_header() {
    switch (uniform(0, 9)) {
      case 0:
        return header("Contact", "m", address() + (chance(1, 2) ? ", " + address() : ""));
      case 1:
        return header("Route", "Route", "<sip:p1.example.com;lr>," + fold() + "<sip:p2;lr>");
      case 2:
        return header("Supported", "k", pick({"", "timer", "100rel, timer,path", ",,"}));
      case 3:
        return header("Authorization", "Authorization",
                      "Digest username=\"a\", realm=\"r, s\", nonce=\"n\"");
      case 4:
        return header("Subject", "s", pick({"", "hello, world", "line one"}) + fold() + "more");
      case 5:
        return header("X-" + token(), "X-y", pick({"", ";;,,", "\"quoted, \\\"x\\\"\"", "<a,b>"}));
      case 6:
        return header("Date", "Date", "Sat, 13 Nov 2010 23:29:00 GMT");
      case 7:
        return header("Max-Forwards", "Max-Forwards", std::to_string(uniform(0, 255)));
      case 8:
        return header("Warning", "Warning", "399 h \"a, b\", 301 x \"y\"");
      default:
        return header("Allow", "Allow", "INVITE, ACK,CANCEL ,  BYE");
    }
  }

  std::mt19937 rng_;
  std::string eol_;
};

TEST(RoundTrip, GeneratedMessages) {
  Generator generator(20240601);
  int parsed = 0;
  constexpr int kCount = 3000;
  for (int i = 0; i < kCount; ++i) {
    const std::string bytes = generator.message();
    auto m = parse_message(bytes, roomy());
    // Single-valued headers (Max-Forwards) may repeat by chance; everything else is valid.
    if (m.ok()) {
      ++parsed;
    } else {
      EXPECT_NE(m.error().message.find("more than one"), std::string::npos)
          << m.error().message << "\n"
          << bytes;
    }
    expect_round_trip(bytes, "generated #" + std::to_string(i));
    if (HasFatalFailure()) return;
  }
  EXPECT_GE(parsed, kCount * 8 / 10);
}

}  // namespace
}  // namespace parley::protocol::sip
