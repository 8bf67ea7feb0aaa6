// Feeds every message listed in tests/data/torture-verdicts.tsv (RFC 4475, RFC 5118) to
// parse_message and checks the `parse` column, then a few specifics the RFCs call out.

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/message.hpp"

namespace parley::protocol::sip {
namespace {

std::string read_file(const std::string& relative) {
  std::ifstream in(std::string(PARLEY_TEST_DATA) + "/" + relative, std::ios::binary);
  EXPECT_TRUE(in.good()) << relative;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Verdict {
  std::string file;
  std::string parse;
};

std::vector<Verdict> read_verdicts() {
  std::vector<Verdict> out;
  std::istringstream lines(read_file("torture-verdicts.tsv"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Verdict v;
    std::getline(fields, v.file, '\t');
    std::getline(fields, v.parse, '\t');
    out.push_back(v);
  }
  return out;
}

Message parse_ok(const std::string& file) {
  auto m = parse_message(read_file(file));
  EXPECT_TRUE(m.ok()) << file << ": " << (m.ok() ? "" : m.error().message);
  return m.ok() ? std::move(m).value() : Message{};
}

TEST(Torture, EveryListedFileGetsItsVerdict) {
  const auto verdicts = read_verdicts();
  ASSERT_GE(verdicts.size(), 62u);
  for (const Verdict& v : verdicts) {
    SCOPED_TRACE(v.file);
    const std::string bytes = read_file(v.file);
    ASSERT_FALSE(bytes.empty());
    auto result = parse_message(bytes);
    if (v.parse == "ok") {
      EXPECT_TRUE(result.ok()) << result.error().message;
    } else if (v.parse.rfind("error:", 0) == 0) {
      const int code = std::stoi(v.parse.substr(6));
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().code, code) << result.error().message;
      EXPECT_FALSE(result.error().message.empty());
    } else {
      EXPECT_EQ(v.parse, "any");  // parsed or not, it must not crash
    }
  }
}

TEST(Torture, WsinvKeepsEveryFieldApart) {
  const Message m = parse_ok("rfc4475/TC_WSINV.dat");
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.to_tag(), "1918181833n");
  EXPECT_EQ(m.from_tag(), "98asjd8");
  EXPECT_EQ(m.max_forwards(), 68);
  EXPECT_EQ(m.cseq_number(), 9u);
  EXPECT_EQ(m.cseq_method(), Method::kInvite);
  EXPECT_EQ(m.count(HeaderId::kVia), 3u);
  EXPECT_EQ(m.top_via_branch(), "390skdjuw");
  EXPECT_EQ(m.first(HeaderId::kSubject), "");
  EXPECT_TRUE(m.has(HeaderId::kSubject));
  EXPECT_EQ(m.first("newfangledheader"), "newfangled value\r\n continued newfangled value");
  EXPECT_EQ(m.first("UnknownHeaderWithUnusualValue"), ";;,,;;,;");
  EXPECT_EQ(m.body().size(), 150u);
  // The second and third Via come from one compact "v:" line split at its comma.
  std::vector<std::string_view> vias;
  for (const HeaderField& h : m.headers()) {
    if (h.id == HeaderId::kVia) vias.push_back(m.value(h));
  }
  ASSERT_EQ(vias.size(), 3u);
  auto second = parse_via(vias[1]);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->transport, "TCP");
  EXPECT_EQ(second->host, "spindle.example.com");
  EXPECT_EQ(second->branch(), "z9hG4bK9ikj8");
  auto third = parse_via(vias[2]);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->branch(), "z9hG4bK30239");
  auto contact = parse_name_addr(m.first(HeaderId::kContact));
  ASSERT_TRUE(contact.ok());
  EXPECT_EQ(contact->display_name, "Quoted string \\\"\\\"");
  EXPECT_EQ(contact->params.get("newparam"), "newvalue");
  EXPECT_EQ(contact->params.get("q"), "0.33");
  EXPECT_TRUE(contact->params.has("secondparam"));
}

TEST(Torture, IntmethKeepsTheUnusualMethodAndUri) {
  const Message m = parse_ok("rfc4475/TC_INTMETH.dat");
  EXPECT_EQ(m.method(), Method::kUnknown);
  EXPECT_EQ(m.method_text(), "!interesting-Method0123456789_*+`.%indeed'~");
  EXPECT_EQ(m.cseq_method_text(), m.method_text());
  EXPECT_EQ(m.from_tag(), "_token~1'+`*%!-.");
  auto uri = parse_uri(m.request_uri());
  ASSERT_TRUE(uri.ok()) << uri.error().message;
  EXPECT_EQ(uri->user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(uri->password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  EXPECT_EQ(uri->host, "example.com");
}

TEST(Torture, Esc02MethodIsUnknownNotRegister) {
  const Message m = parse_ok("rfc4475/TC_ESC02_V.dat");
  EXPECT_EQ(m.method(), Method::kUnknown);
  EXPECT_EQ(m.method_text(), "RE%47IST%45R");
  // "C%6Fntact" is some other header, not a Contact.
  EXPECT_EQ(m.count(HeaderId::kContact), 2u);
  EXPECT_EQ(m.first("C%6Fntact"), "<sip:alias2@host2.example.com>");
}

TEST(Torture, DblreqParsesOnlyTheRegister) {
  const Message m = parse_ok("rfc4475/TC_DBLREQ.dat");
  EXPECT_EQ(m.method(), Method::kRegister);
  EXPECT_TRUE(m.body().empty());
  EXPECT_EQ(m.raw().find("INVITE"), std::string_view::npos);
}

TEST(Torture, ContactParamsStayApartFromUriParams) {
  const Message unbracketed = parse_ok("rfc4475/TC_CPARAM01_V.dat");
  auto c1 = parse_name_addr(unbracketed.first(HeaderId::kContact));
  ASSERT_TRUE(c1.ok());
  EXPECT_TRUE(c1->params.has("unknownparam"));
  EXPECT_FALSE(c1->uri.params.has("unknownparam"));
  EXPECT_EQ(c1->uri.user, "+19725552222");

  const Message bracketed = parse_ok("rfc4475/TC_CPARAM02_V.dat");
  auto c2 = parse_name_addr(bracketed.first(HeaderId::kContact));
  ASSERT_TRUE(c2.ok());
  EXPECT_FALSE(c2->params.has("unknownparam"));
  EXPECT_TRUE(c2->uri.params.has("unknownparam"));
}

TEST(Torture, RegescrtKeepsTheEscapedUriHeader) {
  const Message m = parse_ok("rfc4475/TC_REGESCRT_V.dat");
  auto contact = parse_name_addr(m.first(HeaderId::kContact));
  ASSERT_TRUE(contact.ok());
  EXPECT_EQ(contact->uri.headers, "Route=%3Csip:sip.example.com%3E");
  auto decoded = unescape(contact->uri.headers);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, "Route=<sip:sip.example.com>");
}

TEST(Torture, UnknownSchemesAreRecordedNotRejected) {
  const Message unkscm = parse_ok("rfc4475/TC_UNKSCM_V.dat");
  EXPECT_EQ(parse_uri(unkscm.request_uri()).error().code, 416);
  const Message unksm2 = parse_ok("rfc4475/TC_UNKSM2_V.dat");
  auto to = parse_name_addr(unksm2.first(HeaderId::kTo));
  ASSERT_TRUE(to.ok());
  EXPECT_TRUE(to->opaque_uri);
  EXPECT_EQ(to->uri_text, "isbn:2983792873");
}

TEST(Torture, EscnullKeepsEscapedNul) {
  const Message m = parse_ok("rfc4475/TC_ESCNULL_V.dat");
  auto to = parse_name_addr(m.first(HeaderId::kTo));
  ASSERT_TRUE(to.ok());
  auto user = unescape(to->uri.user);
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(*user, std::string("null-\0-null", 11));
}

TEST(Torture, ResponsesWithUnusualReasons) {
  const Message unreason = parse_ok("rfc4475/TC_UNREASON_V.dat");
  EXPECT_FALSE(unreason.is_request());
  EXPECT_EQ(unreason.status_code(), 200);
  EXPECT_EQ(unreason.reason_phrase().substr(0, 10), "= 2**3 * 5");
  const Message noreason = parse_ok("rfc4475/TC_NOREASON_V.dat");
  EXPECT_EQ(noreason.status_code(), 100);
  EXPECT_EQ(noreason.reason_phrase(), "");
}

TEST(Torture, Inv2543HasNoBranch) {
  const Message m = parse_ok("rfc4475/TC_INV2543_I.dat");
  EXPECT_EQ(m.top_via_branch(), "");
  EXPECT_EQ(m.max_forwards(), -1);
}

TEST(Torture, PortAmbiguousHasNoPort) {
  const Message m = parse_ok("rfc5118/port-ambiguous");
  auto uri = parse_uri(m.request_uri());
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(uri->host, "[2001:db8::10:5070]");
  EXPECT_FALSE(uri->port.has_value());

  const Message unambiguous = parse_ok("rfc5118/port-unambiguous");
  auto uri2 = parse_uri(unambiguous.request_uri());
  ASSERT_TRUE(uri2.ok());
  EXPECT_EQ(uri2->host, "[2001:db8::10]");
  EXPECT_EQ(uri2->port, 5070);
}

TEST(Torture, Ipv6ViaReceivedWithAndWithoutBrackets) {
  const Message no_delim = parse_ok("rfc5118/via-received-param-no-delim");
  auto via = parse_via(no_delim.top_via());
  ASSERT_TRUE(via.ok());
  EXPECT_EQ(via->host, "[2001:db8::9:1]");
  EXPECT_EQ(via->received(), "2001:db8::9:255");
  const Message delim = parse_ok("rfc5118/via-received-param-with-delim");
  auto via2 = parse_via(delim.top_via());
  ASSERT_TRUE(via2.ok());
  EXPECT_EQ(via2->received(), "[2001:db8::9:255]");
}

TEST(Torture, Ipv4MappedAddress) {
  const Message m = parse_ok("rfc5118/ipv4-mapped-ipv6");
  auto via = parse_via(m.top_via());
  ASSERT_TRUE(via.ok());
  EXPECT_EQ(via->host, "[::ffff:192.0.2.10]");
  EXPECT_EQ(via->port, 19823);
  auto contact = parse_name_addr(m.first(HeaderId::kContact));
  ASSERT_TRUE(contact.ok());
  EXPECT_EQ(contact->uri.host, "[::ffff:192.0.2.2]");
}

TEST(Torture, ThreeColonsIsRejectedTwoColonsAccepted) {
  // docs/decisions/0001-ipv6-three-colons.md
  auto bad = parse_message(read_file("rfc5118/ipv6-bug-abnf-3-colons"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, 400);
  const Message good = parse_ok("rfc5118/ipv6-correct-abnf-2-colons");
  EXPECT_EQ(parse_uri(good.request_uri())->host, "[2001:db8::192.0.2.1]");
}

}  // namespace
}  // namespace parley::protocol::sip
