// The registrar end to end below the sockets: real REGISTER text parsed by protocol/sip, a real
// TransactionLayer with a recording Transport, digest credentials computed the way a phone does
// (protocol/sip/digest.hpp), a real SQLite store in a temporary folder, a ManualClock for nonces
// and bans and a hand-driven wall clock for binding expiry.

#include "sip/registrar.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "base/check.hpp"
#include "protocol/sip/digest.hpp"
#include "protocol/sip/headers.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "transaction_test_support.hpp"

namespace parley::sip {
namespace {

namespace fs = std::filesystem;
namespace psip = protocol::sip;
using psip::HeaderId;
using psip::Message;
using testing::RecordingListener;
using testing::RecordingTransport;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";
constexpr store::UnixSeconds kStart = 1'700'000'000;  // Tue, 14 Nov 2023 22:13:20 GMT

using TempDir = test::TempDir;

// One REGISTER as a phone would write it; each field can be changed before sending.
struct Register {
  std::string uri = "sip:example.com";
  std::string user = "1001";  // the To user: the AOR
  std::string to_host = "example.com";
  std::string call_id = "reg-1@198.51.100.7";
  std::uint32_t cseq = 1;
  std::vector<std::string> contacts = {"<sip:1001@198.51.100.7:5060>"};
  std::optional<std::string> expires;
  std::string authorization;  // the whole header value; empty = none
  std::string extra;          // whole header lines, each ending in \r\n
  bool via_proxy = false;     // a proxy's Via on top: we are not the first hop
};

// A phone's digest state: the last challenge and its nonce count.
struct Client {
  std::string user = "1001";
  std::string password = "secret1001";
  std::string algorithm = "SHA-256";
  std::string realm;
  std::string nonce;
  std::string opaque;
  std::uint32_t nc = 0;
};

Peer peer(std::string_view remote, TransportKind transport = TransportKind::kUdp,
          std::uint64_t connection_id = 0) {
  Peer p;
  p.transport = transport;
  p.remote = *net::SocketAddress::parse(remote);
  p.local = *net::SocketAddress::parse("192.0.2.1:5060");
  p.connection_id = connection_id;
  return p;
}

std::vector<std::string> values(const Message& message, HeaderId id) {
  std::vector<std::string> out;
  for (const auto& field : message.headers()) {
    if (field.id == id) out.emplace_back(message.value(field));
  }
  return out;
}

std::vector<std::string> contacts_of(const std::vector<store::Binding>& bindings) {
  std::vector<std::string> out;
  for (const auto& b : bindings) out.push_back(b.contact_uri);
  return out;
}

// Nonce, tags and branches differ between any two answers by design; everything else must not.
std::string mask(const std::string& text) {
  std::string out = std::regex_replace(text, std::regex("nonce=\"[^\"]*\""), "nonce=\"*\"");
  out = std::regex_replace(out, std::regex("tag=[^;\r\n>]*"), "tag=*");
  return std::regex_replace(out, std::regex("branch=[^;\r\n]*"), "branch=*");
}

class RegistrarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::sqlite::SqliteStoreOptions store_options;
    store_options.data_dir = dir_.path();
    auto opened = store::sqlite::SqliteStore::open(std::move(store_options));
    ASSERT_TRUE(opened.ok()) << (opened ? "" : opened.error().message);
    store_ = std::move(opened).value();
    auto tenant = store_->add_tenant({"example.com", "Example", true});
    ASSERT_TRUE(tenant.ok());
    tenant_ = tenant->id;
    add_extension("1001", "secret1001");
    add_extension("1002", "secret1002");

    DirectoryOptions directory_options;
    directory_options.own_hosts = {"192.0.2.1"};
    auto directory = Directory::open(*store_, directory_options);
    ASSERT_TRUE(directory.ok());
    directory_ = std::move(directory).value();
    open_location();
    DigestAuthOptions auth_options;
    auth_options.secret = std::string(kSecret);
    auth_ = std::make_unique<DigestAuthenticator>(clock_, directory_->credential_lookup(),
                                                  auth_options);
    build();
    listener_.respond_on_request = [this](ServerTransaction& transaction, const Message& request) {
      registrar_->handle(request, transaction, transaction.peer());
    };
  }

  void add_extension(const std::string& number, const std::string& password) {
    store::Credentials credentials{
        psip::ha1(psip::DigestAlgorithm::kMd5, number, "example.com", password),
        psip::ha1(psip::DigestAlgorithm::kSha256, number, "example.com", password)};
    ASSERT_TRUE(store_->add_extension({tenant_, number, "", credentials}).ok());
  }

  void open_location() {
    registrar_.reset();
    location_.reset();
    LocationTableOptions options;
    options.wall_clock = [this] { return now_; };
    auto location = LocationTable::open(*store_, options);
    ASSERT_TRUE(location.ok());
    location_ = std::move(location).value();
    if (auth_) build();
  }

  // (Re)creates the throttle and the registrar with these options.
  void build(RegistrarOptions options = {}, AuthThrottleOptions throttle_options = {}) {
    registrar_.reset();
    throttle_ = std::make_unique<AuthThrottle>(clock_, throttle_options);
    options.wall_clock = [this] { return now_; };
    options.random_seed = 11;
    registrar_ = std::make_unique<Registrar>(*directory_, *location_, *auth_, *throttle_, options);
  }

  static std::string text(const Register& r, std::uint64_t branch) {
    std::string out = "REGISTER " + r.uri + " SIP/2.0\r\n";
    if (r.via_proxy)
      out +=
          "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKproxy" + std::to_string(branch) + "\r\n";
    out += "Via: SIP/2.0/UDP 198.51.100.7:5060;rport;branch=z9hG4bKphone" + std::to_string(branch) +
           "\r\n";
    out += "Max-Forwards: 70\r\n";
    out += "From: <sip:" + r.user + "@" + r.to_host + ">;tag=phone-tag\r\n";
    out += "To: <sip:" + r.user + "@" + r.to_host + ">\r\n";
    out += "Call-ID: " + r.call_id + "\r\n";
    out += "CSeq: " + std::to_string(r.cseq) + " REGISTER\r\n";
    for (const auto& contact : r.contacts) out += "Contact: " + contact + "\r\n";
    if (r.expires) out += "Expires: " + *r.expires + "\r\n";
    if (!r.authorization.empty()) out += "Authorization: " + r.authorization + "\r\n";
    out += "User-Agent: TestPhone/1.0\r\n";
    out += r.extra;
    out += "Content-Length: 0\r\n\r\n";
    return out;
  }

  // Sends one request through the transaction layer and returns the answer it produced.
  Message send(const Register& r, const Peer& from = peer("198.51.100.7:5060")) {
    const std::size_t before = transport_.sent.size();
    layer_.on_message(testing::parse(text(r, ++branch_)), from);
    EXPECT_EQ(transport_.sent.size(), before + 1) << "no answer to\n" << text(r, branch_);
    if (transport_.sent.size() != before + 1) return Message{};
    last_raw_ = transport_.sent.back().bytes;
    return testing::parse(last_raw_);
  }

  static void take_challenge(Client& client, const Message& answer) {
    for (const auto& value : values(answer, HeaderId::kWwwAuthenticate)) {
      auto parsed = psip::parse_auth(value);
      ASSERT_TRUE(parsed.ok());
      if (parsed->get("algorithm").value_or("") != client.algorithm) continue;
      client.realm = std::string(parsed->get("realm").value_or(""));
      client.nonce = std::string(parsed->get("nonce").value_or(""));
      client.opaque = std::string(parsed->get("opaque").value_or(""));
      client.nc = 0;
      return;
    }
    ADD_FAILURE() << "no " << client.algorithm << " challenge";
  }

  // The Authorization value a phone computes for `r` (RFC 7616 §3.4.1).
  static std::string authorize(Client& client, const Register& r) {
    const auto algorithm = psip::parse_digest_algorithm(client.algorithm);
    PARLEY_CHECK(algorithm.has_value());
    char nc[9];
    std::snprintf(nc, sizeof nc, "%08x", ++client.nc);
    const std::string cnonce = "c0ffee" + std::to_string(client.nc);
    const std::string ha1 =
        psip::ha1(psip::base_algorithm(*algorithm), client.user, client.realm, client.password);
    const std::string response = psip::expected_response(*algorithm, ha1, "REGISTER", r.uri,
                                                         client.nonce, nc, cnonce, "auth");
    return "Digest username=\"" + client.user + "\", realm=\"" + client.realm + "\", nonce=\"" +
           client.nonce + "\", uri=\"" + r.uri + "\", response=\"" + response +
           "\", algorithm=" + client.algorithm + ", qop=auth, nc=" + nc + ", cnonce=\"" + cnonce +
           "\", opaque=\"" + client.opaque + "\"";
  }

  // A REGISTER with credentials, fetching a challenge first when the client has none. Advances
  // r.cseq past every request sent, as a phone does.
  Message register_as(Register& r, Client& client, const Peer& from = peer("198.51.100.7:5060")) {
    if (client.nonce.empty()) {
      r.authorization.clear();
      const Message challenge = send(r, from);
      EXPECT_EQ(challenge.status_code(), 401);
      take_challenge(client, challenge);
      ++r.cseq;
    }
    r.authorization = authorize(client, r);
    Message answer = send(r, from);
    ++r.cseq;
    return answer;
  }

  Message register_1001(Register& r, const Peer& from = peer("198.51.100.7:5060")) {
    return register_as(r, client_, from);
  }

  std::vector<store::Binding> lookup(std::string_view extension = "1001") {
    return location_->lookup(tenant_, extension);
  }
  std::vector<store::Binding> stored(std::string_view extension = "1001") {
    location_->flush();
    auto rows = store_->list_bindings(tenant_, extension, now_);
    EXPECT_TRUE(rows.ok());
    return rows ? *rows : std::vector<store::Binding>{};
  }

  TempDir dir_;
  store::UnixSeconds now_ = kStart;
  ManualClock clock_;
  RecordingTransport transport_;
  RecordingListener listener_;
  TransactionLayer layer_{TransactionLayer::Options{clock_, transport_, listener_, {}, 1000, 7}};
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  store::TenantId tenant_ = 0;
  std::unique_ptr<Directory> directory_;
  std::unique_ptr<LocationTable> location_;
  std::unique_ptr<DigestAuthenticator> auth_;
  std::unique_ptr<AuthThrottle> throttle_;
  std::unique_ptr<Registrar> registrar_;
  Client client_;
  std::uint64_t branch_ = 0;
  std::string last_raw_;
};

TEST_F(RegistrarTest, ChallengeOffersSha256ThenMd5) {
  const Message answer = send(Register{});
  EXPECT_EQ(answer.status_code(), 401);
  const auto challenges = values(answer, HeaderId::kWwwAuthenticate);
  ASSERT_EQ(challenges.size(), 2u);
  auto first = psip::parse_auth(challenges[0]);
  auto second = psip::parse_auth(challenges[1]);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->get("algorithm"), "SHA-256");
  EXPECT_EQ(second->get("algorithm"), "MD5");
  EXPECT_EQ(first->get("realm"), "example.com");
  EXPECT_EQ(first->get("qop"), "auth");
  EXPECT_EQ(first->get("nonce"), second->get("nonce"));
  EXPECT_FALSE(answer.to_tag().empty());
  EXPECT_TRUE(lookup().empty());
  EXPECT_EQ(registrar_->stats().challenged, 1u);
}

TEST_F(RegistrarTest, RegistersWithSha256) {
  Register r;
  const Message answer = register_1001(r);
  ASSERT_EQ(answer.status_code(), 200) << last_raw_;
  EXPECT_EQ(values(answer, HeaderId::kContact),
            std::vector<std::string>{"<sip:1001@198.51.100.7:5060>;expires=3600"});
  EXPECT_EQ(answer.first(HeaderId::kDate), "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_FALSE(answer.to_tag().empty());

  const auto bindings = lookup();
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0].expires_at, kStart + 3600);
  EXPECT_EQ(bindings[0].received.ip, "198.51.100.7");
  EXPECT_EQ(bindings[0].received.port, 5060);
  EXPECT_EQ(bindings[0].received.transport, "UDP");
  EXPECT_EQ(bindings[0].local_socket.ip, "192.0.2.1");
  EXPECT_EQ(bindings[0].local_socket.port, 5060);
  EXPECT_EQ(bindings[0].user_agent, "TestPhone/1.0");
  EXPECT_EQ(bindings[0].call_id, r.call_id);
  EXPECT_EQ(bindings[0].cseq, 2u);
  EXPECT_EQ(contacts_of(stored()), std::vector<std::string>{"sip:1001@198.51.100.7:5060"});
  EXPECT_EQ(registrar_->stats().accepted, 1u);
}

TEST_F(RegistrarTest, RegistersWithMd5) {
  Register r;
  client_.algorithm = "MD5";
  ASSERT_EQ(register_1001(r).status_code(), 200) << last_raw_;
  EXPECT_EQ(lookup().size(), 1u);
}

TEST_F(RegistrarTest, RefreshMovesTheExpiry) {
  Register r;
  ASSERT_EQ(register_1001(r).status_code(), 200);
  now_ += 1000;
  const Message refreshed = register_1001(r);  // same Call-ID, higher CSeq, same nonce
  ASSERT_EQ(refreshed.status_code(), 200) << last_raw_;
  EXPECT_EQ(values(refreshed, HeaderId::kContact),
            std::vector<std::string>{"<sip:1001@198.51.100.7:5060>;expires=3600"});
  const auto bindings = stored();
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0].expires_at, kStart + 1000 + 3600);
  EXPECT_EQ(bindings[0].cseq, 3u);
}

TEST_F(RegistrarTest, UnregisterWithExpiresParameter) {
  Register r;
  ASSERT_EQ(register_1001(r).status_code(), 200);
  r.contacts = {"<sip:1001@198.51.100.7:5060>;expires=0"};
  const Message answer = register_1001(r);
  ASSERT_EQ(answer.status_code(), 200) << last_raw_;
  EXPECT_TRUE(values(answer, HeaderId::kContact).empty());
  EXPECT_TRUE(lookup().empty());
  EXPECT_TRUE(stored().empty());
}

TEST_F(RegistrarTest, UnregisterWithExpiresHeader) {
  Register r;
  r.contacts = {"<sip:1001@198.51.100.7:5060>", "<sip:1001@198.51.100.7:5070>"};
  ASSERT_EQ(register_1001(r).status_code(), 200);
  r.contacts = {"<sip:1001@198.51.100.7:5070>"};
  r.expires = "0";
  const Message answer = register_1001(r);
  ASSERT_EQ(answer.status_code(), 200) << last_raw_;
  EXPECT_EQ(values(answer, HeaderId::kContact),
            std::vector<std::string>{"<sip:1001@198.51.100.7:5060>;expires=3600"});
  EXPECT_EQ(contacts_of(stored()), std::vector<std::string>{"sip:1001@198.51.100.7:5060"});
}

TEST_F(RegistrarTest, WildcardRemovesEveryBinding) {
  Register r;
  r.contacts = {"<sip:1001@198.51.100.7:5060>", "<sip:1001@198.51.100.8:5060>"};
  ASSERT_EQ(register_1001(r).status_code(), 200);

  r.contacts = {"*"};
  r.expires = "3600";
  EXPECT_EQ(register_1001(r).status_code(), 400);
  r.expires.reset();
  EXPECT_EQ(register_1001(r).status_code(), 400);
  r.contacts = {"*", "<sip:1001@198.51.100.9>"};
  r.expires = "0";
  EXPECT_EQ(register_1001(r).status_code(), 400);
  EXPECT_EQ(lookup().size(), 2u);

  r.contacts = {"*"};
  const Message answer = register_1001(r);
  ASSERT_EQ(answer.status_code(), 200) << last_raw_;
  EXPECT_TRUE(values(answer, HeaderId::kContact).empty());
  EXPECT_TRUE(lookup().empty());
  EXPECT_TRUE(stored().empty());
}

TEST_F(RegistrarTest, TooBriefIsRefusedWithMinExpires) {
  Register r;
  r.contacts = {"<sip:1001@198.51.100.7:5060>;expires=30"};
  const Message answer = register_1001(r);
  EXPECT_EQ(answer.status_code(), 423);
  EXPECT_EQ(answer.first(HeaderId::kMinExpires), "60");
  EXPECT_TRUE(lookup().empty());
  r.contacts = {"<sip:1001@198.51.100.7:5060>"};
  r.expires = "59";
  EXPECT_EQ(register_1001(r).status_code(), 423);
  r.expires = "60";
  EXPECT_EQ(register_1001(r).status_code(), 200);
}

TEST_F(RegistrarTest, MinimumIsConfigurable) {
  RegistrarOptions options;
  options.min_expires = 300;
  build(options);
  Register r;
  r.expires = "120";
  const Message answer = register_1001(r);
  EXPECT_EQ(answer.status_code(), 423);
  EXPECT_EQ(answer.first(HeaderId::kMinExpires), "300");
}

TEST_F(RegistrarTest, LongExpiryIsShortenedToTheMaximum) {
  Register r;
  r.contacts = {"<sip:1001@198.51.100.7:5060>;expires=100000"};
  const Message answer = register_1001(r);
  ASSERT_EQ(answer.status_code(), 200);
  EXPECT_EQ(values(answer, HeaderId::kContact),
            std::vector<std::string>{"<sip:1001@198.51.100.7:5060>;expires=7200"});
  EXPECT_EQ(lookup().at(0).expires_at, kStart + 7200);
}

TEST_F(RegistrarTest, AbsurdExpiresValues) {
  Register r;
  r.expires = "-5";
  EXPECT_EQ(register_1001(r).status_code(), 400);
  r.expires = "soon";
  EXPECT_EQ(register_1001(r).status_code(), 400);
  r.extra = "Expires: 60\r\n";
  r.expires = "3600";
  EXPECT_EQ(register_1001(r).status_code(), 400);  // two Expires headers
  EXPECT_TRUE(lookup().empty());
  r.extra.clear();

  // Beyond 2^32-1: still a number, so shortened like any long expiry.
  r.expires = "99999999999999999999999";
  Message answer = register_1001(r);
  ASSERT_EQ(answer.status_code(), 200);
  EXPECT_EQ(lookup().at(0).expires_at, kStart + 7200);

  // RFC 3261 §20.10: a malformed expires parameter counts as 3600.
  r.expires.reset();
  r.contacts = {"<sip:1001@198.51.100.7:5060>;expires=later"};
  answer = register_1001(r);
  ASSERT_EQ(answer.status_code(), 200);
  EXPECT_EQ(lookup().at(0).expires_at, kStart + 3600);
}

TEST_F(RegistrarTest, SeveralContactsListedByQ) {
  Register r;
  r.contacts = {"<sip:1001@198.51.100.7:5061>;q=0.5", "<sip:1001@198.51.100.7:5062>",
                "<sip:1001@198.51.100.7:5063>;q=0.8"};
  const Message answer = register_1001(r);
  ASSERT_EQ(answer.status_code(), 200) << last_raw_;
  const std::vector<std::string> expected{"<sip:1001@198.51.100.7:5062>;expires=3600",
                                          "<sip:1001@198.51.100.7:5063>;expires=3600;q=0.8",
                                          "<sip:1001@198.51.100.7:5061>;expires=3600;q=0.5"};
  EXPECT_EQ(values(answer, HeaderId::kContact), expected);
  EXPECT_EQ(contacts_of(lookup()),
            (std::vector<std::string>{"sip:1001@198.51.100.7:5062", "sip:1001@198.51.100.7:5063",
                                      "sip:1001@198.51.100.7:5061"}));
  EXPECT_EQ(stored().size(), 3u);

  // A query (no Contact) lists the same bindings and changes nothing.
  r.contacts.clear();
  const Message query = register_1001(r);
  ASSERT_EQ(query.status_code(), 200);
  EXPECT_EQ(values(query, HeaderId::kContact), expected);
}

TEST_F(RegistrarTest, InstanceAndRegIdReplaceFromANewAddress) {
  const std::string instance = "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000000000001>\"";
  Register r;
  r.extra = "Supported: outbound, path\r\n";
  r.contacts = {"<sip:1001@198.51.100.7:5060;transport=udp>;" + instance + ";reg-id=1"};
  Message answer = register_1001(r);
  ASSERT_EQ(answer.status_code(), 200) << last_raw_;
  EXPECT_EQ(answer.first(HeaderId::kRequire), "outbound");
  EXPECT_EQ(values(answer, HeaderId::kContact),
            std::vector<std::string>{"<sip:1001@198.51.100.7:5060;transport=udp>;expires=3600;" +
                                     instance + ";reg-id=1"});

  // The phone reboots behind another NAT mapping: new Call-ID, new address, same instance.
  Register after;
  after.call_id = "reg-2@203.0.113.77";
  after.extra = r.extra;
  after.contacts = {"<sip:1001@203.0.113.77:40000;transport=udp>;" + instance + ";reg-id=1"};
  Client rebooted;
  answer = register_as(after, rebooted, peer("203.0.113.77:40000"));
  ASSERT_EQ(answer.status_code(), 200) << last_raw_;
  const auto bindings = lookup();
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0].contact_uri, "sip:1001@203.0.113.77:40000;transport=udp");
  EXPECT_EQ(bindings[0].received.ip, "203.0.113.77");
  EXPECT_EQ(bindings[0].received.port, 40000);
  EXPECT_EQ(bindings[0].reg_id, 1u);
  EXPECT_EQ(stored().size(), 1u);
}

TEST_F(RegistrarTest, OutboundRulesOfRfc5626) {
  const std::string instance = "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000000000002>\"";
  Register r;
  // A reg-id without an instance is ignored.
  r.contacts = {"<sip:1001@198.51.100.7:5060>;reg-id=1"};
  Message answer = register_1001(r);
  ASSERT_EQ(answer.status_code(), 200);
  EXPECT_FALSE(answer.has(HeaderId::kRequire));
  EXPECT_EQ(lookup().at(0).reg_id, 0u);

  // Two non-zero contacts when one has a reg-id: ambiguous.
  r.contacts = {"<sip:1001@198.51.100.7:5061>;" + instance + ";reg-id=1",
                "<sip:1001@198.51.100.7:5062>"};
  EXPECT_EQ(register_1001(r).status_code(), 400);

  // Behind a proxy that gave no "ob" Path, a UA insisting on outbound is told 439 ...
  r.via_proxy = true;
  r.contacts = {"<sip:1001@198.51.100.7:5061>;" + instance + ";reg-id=1"};
  r.extra = "Supported: outbound\r\n";
  EXPECT_EQ(register_1001(r).status_code(), 439);
  // ... and one that does not insist has its reg-id ignored.
  r.extra.clear();
  answer = register_1001(r);
  ASSERT_EQ(answer.status_code(), 200);
  EXPECT_FALSE(answer.has(HeaderId::kRequire));
  // With an "ob" Path from the edge proxy, outbound applies.
  r.extra = "Supported: outbound\r\nPath: <sip:edge.example.net;lr;ob>\r\n";
  r.contacts = {"<sip:1001@198.51.100.7:5063>;" + instance + ";reg-id=2"};
  answer = register_1001(r);
  ASSERT_EQ(answer.status_code(), 200);
  EXPECT_EQ(answer.first(HeaderId::kRequire), "outbound");
}

TEST_F(RegistrarTest, SameCallIdNeedsAHigherCSeq) {
  Register r;
  ASSERT_EQ(register_1001(r).status_code(), 200);  // CSeq 2
  const store::UnixSeconds expires_at = lookup().at(0).expires_at;
  now_ += 100;
  r.cseq = 2;  // replayed with a new branch: not a retransmission, an old request
  r.contacts = {"<sip:1001@198.51.100.7:5060>;expires=0"};
  EXPECT_EQ(register_1001(r).status_code(), 500);
  r.cseq = 1;
  EXPECT_EQ(register_1001(r).status_code(), 500);
  ASSERT_EQ(lookup().size(), 1u);
  EXPECT_EQ(lookup().at(0).expires_at, expires_at);

  // Another Call-ID (a second phone, or this one after a reboot) may start at any CSeq.
  Register other;
  other.call_id = "reg-other@198.51.100.7";
  other.cseq = 1;
  Client fresh;
  ASSERT_EQ(register_as(other, fresh).status_code(), 200) << last_raw_;
  EXPECT_EQ(lookup().at(0).call_id, "reg-other@198.51.100.7");
  EXPECT_EQ(lookup().at(0).expires_at, kStart + 100 + 3600);
}

TEST_F(RegistrarTest, PathIsStoredAndEchoedWhenSupported) {
  Register r;
  r.via_proxy = true;
  r.extra =
      "Path: <sip:edge1.example.net;lr>\r\nPath: <sip:edge2.example.net;lr>\r\n"
      "Supported: path\r\n";
  Message answer = register_1001(r);
  ASSERT_EQ(answer.status_code(), 200) << last_raw_;
  EXPECT_EQ(values(answer, HeaderId::kPath),
            (std::vector<std::string>{"<sip:edge1.example.net;lr>", "<sip:edge2.example.net;lr>"}));
  EXPECT_EQ(stored().at(0).path, "<sip:edge1.example.net;lr>,<sip:edge2.example.net;lr>");

  r.extra = "Path: <sip:edge1.example.net;lr>\r\n";
  answer = register_1001(r);
  ASSERT_EQ(answer.status_code(), 200);
  EXPECT_TRUE(values(answer, HeaderId::kPath).empty());
  EXPECT_EQ(stored().at(0).path, "<sip:edge1.example.net;lr>");
}

TEST_F(RegistrarTest, CapOnBindingsPerExtension) {
  RegistrarOptions options;
  options.max_bindings_per_aor = 2;
  build(options);
  Register r;
  r.contacts = {"<sip:1001@198.51.100.7:5061>", "<sip:1001@198.51.100.7:5062>"};
  ASSERT_EQ(register_1001(r).status_code(), 200);
  r.contacts = {"<sip:1001@198.51.100.7:5063>"};
  const Message answer = register_1001(r);
  EXPECT_EQ(answer.status_code(), 403);
  EXPECT_EQ(answer.reason_phrase(), "Too Many Registrations");
  EXPECT_EQ(lookup().size(), 2u);
  // Refreshing what is there still works.
  r.contacts = {"<sip:1001@198.51.100.7:5061>", "<sip:1001@198.51.100.7:5062>"};
  EXPECT_EQ(register_1001(r).status_code(), 200);
  EXPECT_EQ(stored().size(), 2u);
}

TEST_F(RegistrarTest, ContactFloodIsRefusedWhole) {
  Register r;
  r.contacts.clear();
  for (int i = 0; i < 200; ++i) {
    r.contacts.push_back("<sip:1001@198.51.100.7:" + std::to_string(10000 + i) + ">");
  }
  EXPECT_EQ(register_1001(r).status_code(), 400);
  EXPECT_TRUE(lookup().empty());
  EXPECT_TRUE(stored().empty());
}

TEST_F(RegistrarTest, UnknownUserAndWrongPasswordLookTheSame) {
  // Same request except the credentials: an unknown user, then a known one with a wrong password.
  Register r;
  Client unknown;
  unknown.user = "1999";
  unknown.password = "whatever";
  take_challenge(unknown, send(r));
  Client wrong;
  wrong.password = "not-the-password";
  wrong.realm = unknown.realm;
  wrong.nonce = unknown.nonce;
  wrong.opaque = unknown.opaque;

  r.cseq = 2;
  r.authorization = authorize(unknown, r);
  const Message first = send(r);
  const std::string first_raw = last_raw_;
  r.authorization = authorize(wrong, r);
  const Message second = send(r);
  EXPECT_EQ(first.status_code(), 401);
  EXPECT_EQ(second.status_code(), 401);
  EXPECT_EQ(mask(first_raw), mask(last_raw_));
  EXPECT_NE(first.first(HeaderId::kWwwAuthenticate), second.first(HeaderId::kWwwAuthenticate));

  // And when the To names the unknown extension itself, the answer is still that 401.
  Register ghost;
  ghost.user = "1999";
  ghost.cseq = 3;
  Client ghost_client;
  ghost_client.user = "1999";
  ghost_client.realm = unknown.realm;
  ghost_client.nonce = unknown.nonce;
  ghost_client.opaque = unknown.opaque;
  ghost_client.nc = 5;
  ghost.authorization = authorize(ghost_client, ghost);
  const Message ghost_answer = send(ghost);
  EXPECT_EQ(ghost_answer.status_code(), 401);
  std::string normalized = std::regex_replace(mask(last_raw_), std::regex("1999"), "1001");
  std::string expected = std::regex_replace(mask(first_raw), std::regex("CSeq: 2"), "CSeq: 3");
  EXPECT_EQ(normalized, expected);
  EXPECT_EQ(registrar_->stats().auth_failures, 3u);
  EXPECT_TRUE(lookup().empty());
}

TEST_F(RegistrarTest, BanAfterFailuresSparesTheRealUserElsewhere) {
  AuthThrottleOptions throttle_options;
  throttle_options.max_failures_per_ip = 3;
  build({}, throttle_options);
  const Peer attacker = peer("203.0.113.66:5060");
  Register r;
  Client guesser;
  guesser.password = "guess";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(register_as(r, guesser, attacker).status_code(), 401);
  }
  // Banned: 403 without a challenge, even with the right password.
  Client right;
  right.realm = guesser.realm;
  right.nonce = guesser.nonce;
  right.opaque = guesser.opaque;
  right.nc = 10;
  r.authorization = authorize(right, r);
  const Message banned = send(r, attacker);
  EXPECT_EQ(banned.status_code(), 403);
  EXPECT_FALSE(banned.has(HeaderId::kWwwAuthenticate));
  EXPECT_TRUE(lookup().empty());
  EXPECT_EQ(registrar_->stats().banned, 1u);

  // The real phone, elsewhere, registers normally.
  Register phone;
  phone.call_id = "phone@198.51.100.7";
  ASSERT_EQ(register_1001(phone).status_code(), 200) << last_raw_;
  EXPECT_EQ(lookup().size(), 1u);
}

TEST_F(RegistrarTest, StaleNonceIsChallengedAgainWithStale) {
  Register r;
  ASSERT_EQ(register_1001(r).status_code(), 200);
  clock_.advance(std::chrono::seconds(301));
  const Message answer = register_1001(r);
  EXPECT_EQ(answer.status_code(), 401);
  auto challenge = psip::parse_auth(answer.first(HeaderId::kWwwAuthenticate));
  ASSERT_TRUE(challenge.ok());
  EXPECT_EQ(challenge->get("stale"), "TRUE");
  EXPECT_EQ(registrar_->stats().auth_failures, 0u);
}

TEST_F(RegistrarTest, AuthenticatedUserMustOwnTheAddressOfRecord) {
  Register r;
  r.user = "1002";  // To names 1002; the credentials are 1001's
  const Message answer = register_1001(r);
  EXPECT_EQ(answer.status_code(), 403);
  EXPECT_TRUE(lookup("1002").empty());
}

TEST_F(RegistrarTest, MalformedRequestsChangeNothing) {
  Register r;
  ASSERT_EQ(register_1001(r).status_code(), 200);
  const auto before = stored();

  // (A Contact that is no name-addr at all never gets here: parse_message refuses it.)
  r.contacts = {"<sip:" + std::string(2100, 'a') + "@198.51.100.7>"};  // past the URI limit
  EXPECT_EQ(register_1001(r).status_code(), 400);
  r.contacts = {"<tel:+15551234>"};
  EXPECT_EQ(register_1001(r).status_code(), 400);
  r.contacts = {"<sip:1001@198.51.100.7:5061>;q=2"};
  EXPECT_EQ(register_1001(r).status_code(), 400);
  r.contacts = {"<sip:1001@198.51.100.7:5061>;+sip.instance=unquoted"};
  EXPECT_EQ(register_1001(r).status_code(), 400);
  // One good contact beside a bad one: all or nothing.
  r.contacts = {"<sip:1001@198.51.100.7:5061>", "<sip:1001@198.51.100.7:5062>;reg-id=x"};
  EXPECT_EQ(register_1001(r).status_code(), 400);
  r.contacts = {"<sip:1001@198.51.100.7:5061>", "<sip:1001@198.51.100.7:5062>;expires=5"};
  EXPECT_EQ(register_1001(r).status_code(), 423);

  // Broken credentials are a failed authentication, answered with a new challenge.
  r.contacts = {"<sip:1001@198.51.100.7:5061>"};
  r.authorization = "Digest username=\"1001\", realm=\"example.com\", nonce=";
  EXPECT_EQ(send(r).status_code(), 401);
  r.authorization = "Digest garbage";
  EXPECT_EQ(send(r).status_code(), 401);

  EXPECT_EQ(contacts_of(lookup()), contacts_of(before));
  const auto after = stored();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].cseq, before[0].cseq);
  EXPECT_EQ(after[0].expires_at, before[0].expires_at);
}

TEST_F(RegistrarTest, DomainsDecideTheTenant) {
  Register r;
  r.uri = "sip:unknown.example.net";
  r.to_host = "unknown.example.net";
  EXPECT_EQ(send(r).status_code(), 404);
  // The To must belong to the Request-URI's tenant.
  r.uri = "sip:example.com";
  EXPECT_EQ(send(r).status_code(), 404);

  // Addressed to our IP: the default tenant answers, with its domain as realm.
  Register by_ip;
  by_ip.uri = "sip:192.0.2.1";
  by_ip.to_host = "192.0.2.1";
  const Message answer = register_1001(by_ip);
  ASSERT_EQ(answer.status_code(), 200) << last_raw_;
  EXPECT_EQ(client_.realm, "example.com");
  EXPECT_EQ(lookup().size(), 1u);
}

TEST_F(RegistrarTest, ExtensionAddedByAnotherProcessRegistersAfterRefresh) {
  Register r;
  r.user = "1003";
  Client client;
  client.user = "1003";
  client.password = "secret1003";
  EXPECT_EQ(register_as(r, client).status_code(), 401);  // unknown so far

  // `parley user add` in another process: its own connection to the same folder.
  store::sqlite::SqliteStoreOptions options;
  options.data_dir = dir_.path();
  auto cli = store::sqlite::SqliteStore::open(std::move(options));
  ASSERT_TRUE(cli.ok());
  store::Credentials credentials{
      psip::ha1(psip::DigestAlgorithm::kMd5, "1003", "example.com", "secret1003"),
      psip::ha1(psip::DigestAlgorithm::kSha256, "1003", "example.com", "secret1003")};
  ASSERT_TRUE((*cli)->add_extension({tenant_, "1003", "", credentials}).ok());
  ASSERT_TRUE(directory_->refresh_if_changed().value());

  const Message answer = register_as(r, client);
  ASSERT_EQ(answer.status_code(), 200) << last_raw_;
  EXPECT_EQ(lookup("1003").size(), 1u);
  EXPECT_EQ(stored("1003").size(), 1u);
}

TEST_F(RegistrarTest, BindingsSurviveARestart) {
  Register r;
  r.contacts = {"<sip:1001@198.51.100.7:5060>;q=0.7", "<sip:1001@198.51.100.7:5070>"};
  ASSERT_EQ(register_1001(r).status_code(), 200);
  open_location();  // destroys the table (writing what is queued) and loads it again
  EXPECT_EQ(contacts_of(lookup()),
            (std::vector<std::string>{"sip:1001@198.51.100.7:5070", "sip:1001@198.51.100.7:5060"}));
  r.contacts.clear();
  const Message query = register_1001(r);
  ASSERT_EQ(query.status_code(), 200);
  EXPECT_EQ(values(query, HeaderId::kContact).size(), 2u);
}

TEST_F(RegistrarTest, ExpiredBindingsArePurged) {
  Register r;
  r.contacts = {"<sip:1001@198.51.100.7:5060>;expires=60", "<sip:1001@198.51.100.7:5070>"};
  ASSERT_EQ(register_1001(r).status_code(), 200);
  now_ += 61;
  EXPECT_EQ(contacts_of(lookup()), std::vector<std::string>{"sip:1001@198.51.100.7:5070"});
  EXPECT_EQ(location_->purge_expired(), 1u);
  location_->flush();
  auto rows = store_->list_bindings(tenant_, "1001", 0);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(contacts_of(*rows), std::vector<std::string>{"sip:1001@198.51.100.7:5070"});
  // The 200 of a query lists what remains, with the time left.
  r.contacts.clear();
  const Message query = register_1001(r);
  EXPECT_EQ(values(query, HeaderId::kContact),
            std::vector<std::string>{"<sip:1001@198.51.100.7:5070>;expires=3539"});
}

TEST_F(RegistrarTest, StreamConnectionIsRemembered) {
  Register r;
  const Peer tcp = peer("198.51.100.7:40001", TransportKind::kTcp, 77);
  ASSERT_EQ(register_1001(r, tcp).status_code(), 200) << last_raw_;
  const auto contacts = location_->lookup_contacts(tenant_, "1001");
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(contacts[0].connection_id, 77u);
  EXPECT_EQ(contacts[0].binding.received.transport, "TCP");
  EXPECT_EQ(contacts[0].binding.received.port, 40001);
}

// Stateless answering (decision 0036): how the SIP worker hands REGISTER to the registrar.
class StatelessRegistrarTest : public RegistrarTest {
 protected:
  // Sends `r` with Via branch number `branch` straight to the registrar; returns its answer.
  Message send_stateless(const Register& r, std::uint64_t branch,
                         const Peer& from = peer("198.51.100.7:5060")) {
    const std::size_t before = transport_.sent.size();
    EXPECT_TRUE(registrar_->answer_statelessly(testing::parse(text(r, branch)), from, transport_));
    EXPECT_EQ(transport_.sent.size(), before + 1);
    if (transport_.sent.size() != before + 1) return Message{};
    last_raw_ = transport_.sent.back().bytes;
    return testing::parse(last_raw_);
  }
};

TEST_F(StatelessRegistrarTest, ChallengeHoldsNoStateAndARetransmissionKeepsItsTag) {
  Register r;
  const Message first = send_stateless(r, 1);
  ASSERT_EQ(first.status_code(), 401) << last_raw_;
  const Message again = send_stateless(r, 1);
  ASSERT_EQ(again.status_code(), 401);
  // RFC 3261 §8.2.7: the same request gets the same To tag; another request another one.
  EXPECT_FALSE(first.to_tag().empty());
  EXPECT_EQ(first.to_tag(), again.to_tag());
  Register next = r;
  ++next.cseq;
  EXPECT_NE(send_stateless(next, 2).to_tag(), first.to_tag());
  EXPECT_EQ(layer_.size(), 0u);
  EXPECT_EQ(transport_.sent.back().to.remote.to_string(), "198.51.100.7:5060");
}

TEST_F(StatelessRegistrarTest, RetransmittedRegisterGetsTheSame200WithoutAStoreWrite) {
  Register r;
  const Message challenge = send_stateless(r, 1);
  ASSERT_EQ(challenge.status_code(), 401);
  take_challenge(client_, challenge);
  ++r.cseq;
  r.authorization = authorize(client_, r);
  const Message accepted = send_stateless(r, 2);
  ASSERT_EQ(accepted.status_code(), 200) << last_raw_;
  location_->flush();
  const auto written = location_->stats().writer.written;

  now_ += 3;  // the 200 was lost; the phone retransmits the very same bytes
  const Message repeated = send_stateless(r, 2);
  ASSERT_EQ(repeated.status_code(), 200) << last_raw_;
  EXPECT_EQ(values(repeated, HeaderId::kContact),
            std::vector<std::string>{"<sip:1001@198.51.100.7:5060>;expires=3597"});
  EXPECT_EQ(repeated.to_tag(), accepted.to_tag());
  location_->flush();
  EXPECT_EQ(location_->stats().writer.written, written);
  EXPECT_EQ(lookup().at(0).expires_at, kStart + 3600);  // unchanged
  EXPECT_EQ(registrar_->stats().accepted, 1u);
  EXPECT_EQ(registrar_->stats().repeated, 1u);
  EXPECT_EQ(layer_.size(), 0u);
}

TEST_F(StatelessRegistrarTest, ReusedCredentialsOnAnotherRequestAreChallenged) {
  Register r;
  const Message challenge = send_stateless(r, 1);
  take_challenge(client_, challenge);
  ++r.cseq;
  r.authorization = authorize(client_, r);
  ASSERT_EQ(send_stateless(r, 2).status_code(), 200) << last_raw_;

  // The same Authorization (same nc) on a request with a higher CSeq is a replay, not a
  // retransmission: it must not refresh or remove anything.
  Register replay = r;
  ++replay.cseq;
  replay.contacts = {"<sip:1001@198.51.100.7:5060>;expires=0"};
  const Message answer = send_stateless(replay, 3);
  EXPECT_EQ(answer.status_code(), 401) << last_raw_;
  EXPECT_EQ(lookup().size(), 1u);
  // Nor may another extension's request borrow them.
  Register other = r;
  other.user = "1002";
  EXPECT_EQ(send_stateless(other, 4).status_code(), 401);
  EXPECT_EQ(registrar_->stats().repeated, 0u);
}

TEST(RegistrarParsingTest, DeltaSecondsQValuesAndDates) {
  EXPECT_EQ(parse_delta_seconds("0"), 0u);
  EXPECT_EQ(parse_delta_seconds("3600"), 3600u);
  EXPECT_EQ(parse_delta_seconds("4294967296"), 4294967295u);
  EXPECT_EQ(parse_delta_seconds(""), std::nullopt);
  EXPECT_EQ(parse_delta_seconds("-1"), std::nullopt);
  EXPECT_EQ(parse_delta_seconds("12a"), std::nullopt);
  EXPECT_EQ(parse_qvalue("1"), 1000);
  EXPECT_EQ(parse_qvalue("1.000"), 1000);
  EXPECT_EQ(parse_qvalue("0.5"), 500);
  EXPECT_EQ(parse_qvalue("0.125"), 125);
  EXPECT_EQ(parse_qvalue("0."), 0);
  EXPECT_EQ(parse_qvalue("1.5"), std::nullopt);
  EXPECT_EQ(parse_qvalue("0.1234"), std::nullopt);
  EXPECT_EQ(parse_qvalue(".5"), std::nullopt);
  EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(http_date(kStart), "Tue, 14 Nov 2023 22:13:20 GMT");
}

}  // namespace
}  // namespace parley::sip
