#include "sip/digest_auth.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/message.hpp"

namespace parley::sip {
namespace {

namespace psip = protocol::sip;
using std::chrono::seconds;

constexpr std::string_view kRealm = "example.com";
constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";

// What a client echoes back, field by field, so tests can break any one of them.
struct ClientCredentials {
  std::string scheme = "Digest";
  std::string username = "alice";
  std::string realm{kRealm};
  std::string nonce;
  std::string uri = "sip:example.com";
  std::string algorithm;  // empty: parameter omitted
  std::string qop = "auth";
  std::string nc = "00000001";
  std::string cnonce = "0a4f113b";
  std::string opaque;
  std::string response;
  std::string extra;  // appended verbatim, e.g. ", nonce=\"x\""
};

std::string quote_escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string header_value(const ClientCredentials& c) {
  std::string v = c.scheme + " username=\"" + quote_escaped(c.username) + "\", realm=\"" +
                  quote_escaped(c.realm) + "\", nonce=\"" + c.nonce + "\", uri=\"" + c.uri +
                  "\", response=\"" + c.response + "\"";
  if (!c.algorithm.empty()) v += ", algorithm=" + c.algorithm;
  if (!c.qop.empty()) v += ", qop=" + c.qop;
  if (!c.nc.empty()) v += ", nc=" + c.nc;
  if (!c.cnonce.empty()) v += ", cnonce=\"" + c.cnonce + "\"";
  if (!c.opaque.empty()) v += ", opaque=\"" + c.opaque + "\"";
  return v + c.extra;
}

// The client side of RFC 7616 §3.4.1, written against digest.hpp.
void sign(ClientCredentials& c, std::string_view password, std::string_view method) {
  const auto algorithm = c.algorithm.empty() ? std::optional(psip::DigestAlgorithm::kMd5)
                                             : psip::parse_digest_algorithm(c.algorithm);
  ASSERT_TRUE(algorithm.has_value());
  const std::string h = psip::ha1(psip::base_algorithm(*algorithm), c.username, c.realm, password);
  c.response =
      psip::expected_response(*algorithm, h, method, c.uri, c.nonce, c.nc, c.cnonce, c.qop);
}

std::string request_text(std::string_view header_lines, std::string_view method = "REGISTER",
                         std::string_view request_uri = "sip:example.com") {
  std::string m = std::string(method) + " " + std::string(request_uri) + " SIP/2.0\r\n";
  m += "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-74bf9\r\n";
  m += "Max-Forwards: 70\r\n";
  m += "From: <sip:alice@example.com>;tag=9fxced76sl\r\n";
  m += "To: <sip:alice@example.com>\r\n";
  m += "Call-ID: 3848276298220188511@192.0.2.10\r\n";
  m += "CSeq: 2 " + std::string(method) + "\r\n";
  m += "Contact: <sip:alice@192.0.2.10:5060>\r\n";
  m += header_lines;
  m += "Expires: 3600\r\nContent-Length: 0\r\n\r\n";
  return m;
}

psip::Message parse(const std::string& text) {
  psip::ParseLimits limits;
  limits.max_line_bytes = 65535;
  auto message = psip::parse_message(text, limits);
  EXPECT_TRUE(message.ok()) << (message.ok() ? "" : message.error().message) << "\n" << text;
  return std::move(message).value();
}

class DigestAuthTest : public ::testing::Test {
 protected:
  DigestAuthTest() { passwords_[{std::string(kRealm), "alice"}] = "correct horse"; }

  DigestAuthOptions options(std::string_view secret = kSecret) const {
    DigestAuthOptions o;
    o.secret = std::string(secret);
    return o;
  }

  CredentialLookup lookup() {
    return [this](std::string_view realm, std::string_view user,
                  psip::DigestAlgorithm algorithm) -> std::optional<std::string> {
      ++lookups_;
      auto it = passwords_.find({std::string(realm), std::string(user)});
      if (it == passwords_.end()) return std::nullopt;
      return psip::ha1(algorithm, user, realm, it->second);
    };
  }

  DigestAuthenticator make(DigestAuthOptions o) { return DigestAuthenticator(clock_, lookup(), o); }

  // Reads realm, nonce, opaque and algorithm from a challenge value the way a client does.
  static ClientCredentials from_challenge(std::string_view challenge) {
    auto parsed = psip::parse_auth(challenge);
    EXPECT_TRUE(parsed.ok());
    ClientCredentials c;
    c.realm = std::string(parsed->get("realm").value_or(""));
    c.nonce = std::string(parsed->get("nonce").value_or(""));
    c.opaque = std::string(parsed->get("opaque").value_or(""));
    c.algorithm = std::string(parsed->get("algorithm").value_or(""));
    return c;
  }

  AuthResult verify_with(DigestAuthenticator& auth, const ClientCredentials& c,
                         std::string_view header = "Authorization", bool proxy = false,
                         std::string_view realm = kRealm) {
    const std::string text = request_text(std::string(header) + ": " + header_value(c) + "\r\n");
    return auth.verify(parse(text), realm, proxy);
  }

  // A signed credential for the first (SHA-256) challenge.
  ClientCredentials signed_credentials(DigestAuthenticator& auth, std::size_t which = 0,
                                       std::string_view password = "correct horse") {
    auto challenges = auth.challenge(kRealm, false);
    ClientCredentials c = from_challenge(challenges.at(which));
    sign(c, password, "REGISTER");
    return c;
  }

  ManualClock clock_;
  std::map<std::pair<std::string, std::string>, std::string> passwords_;
  int lookups_ = 0;
};

TEST_F(DigestAuthTest, ChallengeOffersSha256ThenMd5WithOneNonce) {
  auto auth = make(options());
  const auto values = auth.challenge(kRealm, false);
  ASSERT_EQ(values.size(), 2U);
  EXPECT_EQ(
      values[0].rfind("Digest realm=\"example.com\", qop=\"auth\", algorithm=SHA-256, nonce=\"", 0),
      0U)
      << values[0];
  EXPECT_NE(values[1].find("algorithm=MD5,"), std::string::npos) << values[1];
  const ClientCredentials sha = from_challenge(values[0]);
  const ClientCredentials md5 = from_challenge(values[1]);
  EXPECT_EQ(sha.nonce, md5.nonce);
  EXPECT_EQ(sha.nonce.size(), 48U);
  EXPECT_FALSE(sha.opaque.empty());
  EXPECT_EQ(psip::parse_auth(values[0])->get("stale"), "FALSE");
  EXPECT_EQ(psip::parse_auth(values[0])->get("qop"), "auth");

  const auto stale = auth.challenge(kRealm, true);
  EXPECT_EQ(psip::parse_auth(stale[1])->get("stale"), "TRUE");
  EXPECT_NE(from_challenge(stale[0]).nonce, sha.nonce);  // the random part differs each time
}

// Within one second the nonces differ only in their unique bytes: a thousand challenges give a
// thousand nonces, and a restarted server (same secret, its counter from zero again) does not
// repeat the nonces of the one before it.
TEST_F(DigestAuthTest, NoncesOfOneSecondNeverRepeatAlsoAfterARestart) {
  auto first_run = make(options());
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(seen.insert(from_challenge(first_run.challenge(kRealm, false)[0]).nonce).second);
  }
  auto second_run = make(options());
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(seen.insert(from_challenge(second_run.challenge(kRealm, false)[0]).nonce).second)
        << "challenge " << i << " of the restarted server repeats an earlier nonce";
  }
  // And each still verifies.
  ClientCredentials c = from_challenge(second_run.challenge(kRealm, false)[0]);
  sign(c, "correct horse", "REGISTER");
  EXPECT_EQ(verify_with(second_run, c).outcome, AuthOutcome::kOk);
}

// The opaque is the first 12 bytes of HMAC-SHA256(HMAC-SHA256(secret, "parley digest opaque
// v1"), realm), base64url: a known answer (Python's hmac module) pins the HMAC to RFC 2104, so
// nonces issued before a change of its implementation still verify after it.
TEST_F(DigestAuthTest, OpaqueIsTheRfc2104HmacOfTheRealm) {
  const DigestAuthenticator auth = make(options());
  const ClientCredentials challenge = from_challenge(auth.challenge(kRealm, false)[0]);
  EXPECT_EQ(challenge.opaque, "JVg0jYQeHYJKowk8");
}

// A nonce of the first format (version 1: HMAC-SHA256, made with Python's hmac module for
// kSecret, the default clock epoch, issued at the clock's 1000 s, random bytes 1..7, realm
// example.com) still verifies after the switch to keyed BLAKE2b (decision 0061), so phones
// holding one across an upgrade are not refused; a forged one with the version changed is not.
TEST_F(DigestAuthTest, NoncesOfTheHmacFormatStillVerify) {
  auto auth = make(options());
  ClientCredentials c;
  c.nonce = "AX6YWdsAAAAAAAAD6AECAwQFBgdMuPB-hThcXTRFAM-W2AiV";
  sign(c, "correct horse", "REGISTER");
  const AuthResult r = verify_with(auth, c);
  EXPECT_EQ(r.outcome, AuthOutcome::kOk) << r.detail;

  ClientCredentials relabelled = c;
  relabelled.nonce[1] = 'g';  // version byte 2, same MAC: must not pass as the new format
  relabelled.nc = "00000002";
  sign(relabelled, "correct horse", "REGISTER");
  EXPECT_NE(verify_with(auth, relabelled).outcome, AuthOutcome::kOk);

  const ClientCredentials fresh = from_challenge(auth.challenge(kRealm, false)[0]);
  // Issued as version 2: the first byte 0x02 puts 'A' and one of 'g'..'v' first in base64url.
  ASSERT_EQ(fresh.nonce.size(), 48U);
  EXPECT_EQ(fresh.nonce[0], 'A') << fresh.nonce;
  EXPECT_TRUE(fresh.nonce[1] >= 'g' && fresh.nonce[1] <= 'v') << fresh.nonce;
}

TEST_F(DigestAuthTest, ChallengeEscapesRealm) {
  auto auth = make(options());
  const auto values = auth.challenge("a\"b\\c\r\nInjected: x", false);
  EXPECT_EQ(values[0].find('\r'), std::string::npos);
  EXPECT_EQ(values[0].rfind(R"(Digest realm="a\"b\\cInjected: x", )", 0), 0U) << values[0];
}

TEST_F(DigestAuthTest, Sha256RoundTrip) {
  auto auth = make(options());
  const ClientCredentials c = signed_credentials(auth, 0);
  EXPECT_EQ(c.algorithm, "SHA-256");
  const AuthResult r = verify_with(auth, c);
  EXPECT_EQ(r.outcome, AuthOutcome::kOk) << r.detail;
  EXPECT_EQ(r.username, "alice");
  EXPECT_EQ(r.algorithm, psip::DigestAlgorithm::kSha256);
}

TEST_F(DigestAuthTest, Md5RoundTrip) {
  auto auth = make(options());
  const ClientCredentials c = signed_credentials(auth, 1);
  EXPECT_EQ(c.algorithm, "MD5");
  const AuthResult r = verify_with(auth, c);
  EXPECT_EQ(r.outcome, AuthOutcome::kOk) << r.detail;
  EXPECT_EQ(r.algorithm, psip::DigestAlgorithm::kMd5);
}

TEST_F(DigestAuthTest, MissingAlgorithmMeansMd5) {
  auto auth = make(options());
  ClientCredentials c = from_challenge(auth.challenge(kRealm, false)[1]);
  c.algorithm.clear();
  sign(c, "correct horse", "REGISTER");
  EXPECT_EQ(verify_with(auth, c).outcome, AuthOutcome::kOk);
}

TEST_F(DigestAuthTest, SessionAlgorithmWhenOffered) {
  DigestAuthOptions o = options();
  o.algorithms = {psip::DigestAlgorithm::kSha256Sess};
  auto auth = make(o);
  const ClientCredentials c = signed_credentials(auth, 0);
  EXPECT_EQ(c.algorithm, "SHA-256-sess");
  EXPECT_EQ(verify_with(auth, c).outcome, AuthOutcome::kOk);
}

TEST_F(DigestAuthTest, AlgorithmNotOfferedIsRefused) {
  DigestAuthOptions o = options();
  o.algorithms = {psip::DigestAlgorithm::kSha256};
  auto auth = make(o);
  ClientCredentials c = signed_credentials(auth, 0);
  c.algorithm = "MD5";
  sign(c, "correct horse", "REGISTER");
  const AuthResult r = verify_with(auth, c);
  EXPECT_EQ(r.outcome, AuthOutcome::kBadCredentials);
  EXPECT_EQ(r.detail, "algorithm not offered");
}

TEST_F(DigestAuthTest, WrongPasswordAndUnknownUserLookTheSame) {
  auto auth = make(options());
  const AuthResult wrong = verify_with(auth, signed_credentials(auth, 0, "wrong"));
  EXPECT_EQ(wrong.outcome, AuthOutcome::kBadCredentials);
  EXPECT_EQ(wrong.detail, "wrong password");
  EXPECT_EQ(wrong.username, "alice");

  ClientCredentials c = from_challenge(auth.challenge(kRealm, false)[0]);
  c.username = "mallory";
  sign(c, "correct horse", "REGISTER");
  const int lookups_before = lookups_;
  const AuthResult unknown = verify_with(auth, c);
  EXPECT_EQ(unknown.outcome, AuthOutcome::kBadCredentials);
  EXPECT_EQ(unknown.detail, "unknown user");
  EXPECT_EQ(unknown.username, "mallory");
  EXPECT_EQ(lookups_, lookups_before + 1);
  EXPECT_EQ(unknown.algorithm, wrong.algorithm);
}

TEST_F(DigestAuthTest, WrongRealmIsBad) {
  passwords_[{"other.com", "alice"}] = "correct horse";
  auto auth = make(options());
  // Valid credentials for another realm are not credentials for ours.
  ClientCredentials c = from_challenge(auth.challenge("other.com", false)[0]);
  sign(c, "correct horse", "REGISTER");
  EXPECT_EQ(verify_with(auth, c, "Authorization", false, "other.com").outcome, AuthOutcome::kOk);
  EXPECT_EQ(verify_with(auth, c).outcome, AuthOutcome::kBadCredentials);

  // A nonce issued for other.com does not work for example.com even with matching fields.
  ClientCredentials moved = c;
  moved.realm = std::string(kRealm);
  moved.opaque.clear();
  moved.nc = "00000002";
  sign(moved, "correct horse", "REGISTER");
  const AuthResult r = verify_with(auth, moved);
  EXPECT_EQ(r.outcome, AuthOutcome::kBadCredentials);
  EXPECT_EQ(r.detail, "nonce not issued here");
}

TEST_F(DigestAuthTest, TamperedNonceIsBad) {
  auto auth = make(options());
  ClientCredentials c = signed_credentials(auth);
  c.nonce[10] = c.nonce[10] == 'A' ? 'B' : 'A';
  sign(c, "correct horse", "REGISTER");  // even a correct digest over the tampered nonce
  const AuthResult r = verify_with(auth, c);
  EXPECT_EQ(r.outcome, AuthOutcome::kBadCredentials);
  EXPECT_EQ(r.detail, "nonce not issued here");
}

TEST_F(DigestAuthTest, NonceFromAnotherSecretIsBad) {
  auto other = make(options("another secret of enough bytes!!"));
  auto auth = make(options());
  const ClientCredentials c = signed_credentials(other);
  EXPECT_EQ(verify_with(other, c).outcome, AuthOutcome::kOk);
  EXPECT_EQ(verify_with(auth, c).outcome, AuthOutcome::kBadCredentials);
}

TEST_F(DigestAuthTest, SameSecretAcceptsAcrossInstances) {
  auto first = make(options());
  auto restarted = make(options());
  EXPECT_EQ(verify_with(restarted, signed_credentials(first)).outcome, AuthOutcome::kOk);
}

TEST_F(DigestAuthTest, ExpiredNonceIsStaleOnlyWithTheRightPassword) {
  auto auth = make(options());
  ClientCredentials good = signed_credentials(auth);
  ClientCredentials bad = good;
  sign(bad, "wrong", "REGISTER");
  clock_.advance(seconds(299));
  EXPECT_EQ(verify_with(auth, good).outcome, AuthOutcome::kOk);
  clock_.advance(seconds(2));
  good.nc = "00000002";
  sign(good, "correct horse", "REGISTER");
  EXPECT_EQ(verify_with(auth, good).outcome, AuthOutcome::kStale);
  EXPECT_EQ(verify_with(auth, bad).outcome, AuthOutcome::kBadCredentials);
}

TEST_F(DigestAuthTest, ClockEpochChangeMakesNoncesStale) {
  DigestAuthOptions before = options();
  before.clock_epoch = "boot-1";
  DigestAuthOptions after = options();
  after.clock_epoch = "boot-2";
  auto old_boot = make(before);
  auto new_boot = make(after);
  EXPECT_EQ(verify_with(new_boot, signed_credentials(old_boot)).outcome, AuthOutcome::kStale);
}

TEST_F(DigestAuthTest, ReplayedNonceCountIsRejected) {
  auto auth = make(options());
  ClientCredentials c = signed_credentials(auth);
  EXPECT_EQ(verify_with(auth, c).outcome, AuthOutcome::kOk);
  EXPECT_EQ(verify_with(auth, c).outcome, AuthOutcome::kReplay);

  c.nc = "00000005";
  sign(c, "correct horse", "REGISTER");
  EXPECT_EQ(verify_with(auth, c).outcome, AuthOutcome::kOk);
  // Reordered datagrams: a lower count not seen yet is still fresh, but only once.
  c.nc = "00000003";
  sign(c, "correct horse", "REGISTER");
  EXPECT_EQ(verify_with(auth, c).outcome, AuthOutcome::kOk);
  EXPECT_EQ(verify_with(auth, c).outcome, AuthOutcome::kReplay);
  c.nc = "00000001";
  sign(c, "correct horse", "REGISTER");
  EXPECT_EQ(verify_with(auth, c).outcome, AuthOutcome::kReplay);
  // Far past the window, anything older than 64 counts is refused.
  c.nc = "00000100";
  sign(c, "correct horse", "REGISTER");
  EXPECT_EQ(verify_with(auth, c).outcome, AuthOutcome::kOk);
  c.nc = "00000002";
  sign(c, "correct horse", "REGISTER");
  EXPECT_EQ(verify_with(auth, c).outcome, AuthOutcome::kReplay);
}

TEST_F(DigestAuthTest, NonceCacheIsBoundedAndNeverForgetsSilently) {
  DigestAuthOptions o = options();
  o.max_tracked_nonces = 3;
  auto auth = make(o);
  std::vector<ClientCredentials> used;
  for (int i = 0; i < 5; ++i) {
    used.push_back(signed_credentials(auth));
    EXPECT_EQ(verify_with(auth, used.back()).outcome, AuthOutcome::kOk);
    clock_.advance(seconds(1));
    EXPECT_LE(auth.tracked_nonces(), 3U);
  }
  // The first nonces' histories were dropped: using them again is stale, never a silent replay.
  EXPECT_EQ(verify_with(auth, used[0]).outcome, AuthOutcome::kStale);
  ClientCredentials next = used[0];
  next.nc = "00000002";
  sign(next, "correct horse", "REGISTER");
  EXPECT_EQ(verify_with(auth, next).outcome, AuthOutcome::kStale);
  // The newest is still remembered.
  EXPECT_EQ(verify_with(auth, used[4]).outcome, AuthOutcome::kReplay);
}

TEST_F(DigestAuthTest, NonceCacheEntriesExpireWithTheNonce) {
  auto auth = make(options());
  EXPECT_EQ(verify_with(auth, signed_credentials(auth)).outcome, AuthOutcome::kOk);
  EXPECT_EQ(auth.tracked_nonces(), 1U);
  clock_.advance(seconds(400));
  EXPECT_EQ(verify_with(auth, signed_credentials(auth)).outcome, AuthOutcome::kOk);
  EXPECT_EQ(auth.tracked_nonces(), 1U);
}

TEST_F(DigestAuthTest, NoCredentials) {
  auto auth = make(options());
  EXPECT_EQ(auth.verify(parse(request_text("")), kRealm, false).outcome,
            AuthOutcome::kNoCredentials);
  EXPECT_EQ(
      auth.verify(parse(request_text("Authorization: Basic QWxhZGRpbjpvcGVu\r\n")), kRealm, false)
          .outcome,
      AuthOutcome::kNoCredentials);
}

TEST_F(DigestAuthTest, ProxyAuthorization) {
  auto auth = make(options());
  const ClientCredentials c = signed_credentials(auth);
  EXPECT_EQ(verify_with(auth, c, "Authorization", true).outcome, AuthOutcome::kNoCredentials);
  EXPECT_EQ(verify_with(auth, c, "Proxy-Authorization", false).outcome,
            AuthOutcome::kNoCredentials);
  EXPECT_EQ(verify_with(auth, c, "Proxy-Authorization", true).outcome, AuthOutcome::kOk);
}

TEST_F(DigestAuthTest, PicksTheCredentialsForOurRealm) {
  auto auth = make(options());
  const ClientCredentials ours = signed_credentials(auth);
  ClientCredentials theirs = ours;
  theirs.realm = "upstream.example.net";
  const std::string text = request_text("Authorization: " + header_value(theirs) +
                                        "\r\nAuthorization: " + header_value(ours) + "\r\n");
  EXPECT_EQ(auth.verify(parse(text), kRealm, false).outcome, AuthOutcome::kOk);
}

TEST_F(DigestAuthTest, EscapedUsernameIsUnescapedForHashAndLookup) {
  passwords_[{std::string(kRealm), "al\"ice"}] = "pw";
  auto auth = make(options());
  ClientCredentials c = from_challenge(auth.challenge(kRealm, false)[0]);
  c.username = "al\"ice";
  sign(c, "pw", "REGISTER");
  const AuthResult r = verify_with(auth, c);
  EXPECT_EQ(r.outcome, AuthOutcome::kOk) << r.detail;
  EXPECT_EQ(r.username, "al\"ice");
}

TEST_F(DigestAuthTest, UppercaseResponseHexIsAccepted) {
  auto auth = make(options());
  ClientCredentials c = signed_credentials(auth);
  for (char& ch : c.response) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_EQ(verify_with(auth, c).outcome, AuthOutcome::kOk);
}

TEST_F(DigestAuthTest, DigestUriMustNameTheRequestUri) {
  auto auth = make(options());
  ClientCredentials c = signed_credentials(auth);
  auto check = [&](std::string_view request_uri, std::string_view digest_uri) {
    c.uri = std::string(digest_uri);
    c.nonce = from_challenge(auth.challenge(kRealm, false)[0]).nonce;
    sign(c, "correct horse", "REGISTER");
    const std::string text =
        request_text("Authorization: " + header_value(c) + "\r\n", "REGISTER", request_uri);
    return auth.verify(parse(text), kRealm, false);
  };
  EXPECT_EQ(check("sip:example.com;transport=tcp", "sip:EXAMPLE.com").outcome, AuthOutcome::kOk);
  EXPECT_EQ(check("sip:example.com", "sip:example.com:5060").outcome, AuthOutcome::kBadCredentials);
  EXPECT_EQ(check("sip:example.com", "sip:other.com").outcome, AuthOutcome::kBadCredentials);
  const AuthResult r = check("sip:example.com", "sips:example.com");
  EXPECT_EQ(r.outcome, AuthOutcome::kBadCredentials);
  EXPECT_EQ(r.detail, "uri does not match the Request-URI");
  EXPECT_EQ(check("sip:example.com", "not a uri").outcome, AuthOutcome::kBadCredentials);
}

TEST_F(DigestAuthTest, MalformedCredentialsAreBadNeverFatal) {
  auto auth = make(options());
  const ClientCredentials good = signed_credentials(auth);
  const std::string huge(20000, 'a');
  struct Case {
    std::string name;
    std::string_view detail;
    ClientCredentials credentials;
  };
  std::vector<Case> cases;
  auto add = [&](std::string name, std::string_view detail, auto mutate) {
    ClientCredentials c = good;
    mutate(c);
    cases.push_back(Case{std::move(name), detail, std::move(c)});
  };
  add("no qop", "qop=auth missing", [](auto& c) { c.qop.clear(); });
  add("qop auth-int", "qop=auth missing", [](auto& c) { c.qop = "auth-int"; });
  add("no nc", "bad nc", [](auto& c) { c.nc.clear(); });
  add("nc zero", "bad nc", [](auto& c) { c.nc = "00000000"; });
  add("nc not hex", "bad nc", [](auto& c) { c.nc = "0000000g"; });
  add("nc too long", "bad nc", [](auto& c) { c.nc = "000000001"; });
  add("no cnonce", "bad cnonce", [](auto& c) { c.cnonce.clear(); });
  add("empty response", "bad response field", [](auto& c) { c.response.clear(); });
  add("short response", "bad response field", [](auto& c) { c.response.pop_back(); });
  add("non-hex response", "bad response field", [](auto& c) { c.response[0] = 'z'; });
  add("empty nonce", "nonce not issued here", [](auto& c) { c.nonce.clear(); });
  add("short nonce", "nonce not issued here", [](auto& c) { c.nonce.pop_back(); });
  add("nonce bad alphabet", "nonce not issued here", [](auto& c) { c.nonce[0] = '+'; });
  add("empty username", "unusable username", [](auto& c) { c.username.clear(); });
  add("control char username", "unusable username", [](auto& c) { c.username = "al\tice"; });
  add("unknown algorithm", "unknown algorithm", [](auto& c) { c.algorithm = "SHA-512-256"; });
  add("opaque mismatch", "opaque mismatch", [](auto& c) { c.opaque = "AAAAAAAAAAAAAAAA"; });
  add("duplicate nonce", "duplicate parameter",
      [](auto& c) { c.extra = ", nonce=\"" + c.nonce + "\""; });
  add("duplicate username", "duplicate parameter", [](auto& c) { c.extra = ", USERNAME=\"bob\""; });
  add("userhash", "userhash not offered", [](auto& c) { c.extra = ", userhash=true"; });
  add("huge username", "unusable username", [&](auto& c) { c.username = huge; });
  add("huge cnonce", "bad cnonce", [&](auto& c) { c.cnonce = huge; });
  add("huge uri", "bad uri", [&](auto& c) { c.uri = "sip:" + huge + "@example.com"; });
  add("huge nonce", "nonce not issued here", [&](auto& c) { c.nonce = huge; });
  add("huge response", "bad response field", [&](auto& c) { c.response = huge; });
  for (const Case& c : cases) {
    const AuthResult r = verify_with(auth, c.credentials);
    EXPECT_EQ(r.outcome, AuthOutcome::kBadCredentials) << c.name;
    EXPECT_EQ(r.detail, c.detail) << c.name;
  }

  // Values that are not even parameter lists.
  int verified = 0;
  for (std::string_view raw : {"Digest", "Digest ,,,", "Digest username", "Digest realm=\"exa",
                               "Digest =\"x\"", "Digest realm=example.com", "\x01\x02\x7f",
                               "Digest realm=\"example.com\" username=\"alice\""}) {
    const std::string text = request_text("Authorization: " + std::string(raw) + "\r\n");
    auto message = psip::parse_message(text);
    if (!message) continue;  // rejected by the parser already
    ++verified;
    EXPECT_EQ(auth.verify(*message, kRealm, false).outcome, AuthOutcome::kBadCredentials) << raw;
  }
  EXPECT_GE(verified, 6);
  // The untouched credentials still work afterwards.
  EXPECT_EQ(verify_with(auth, good).outcome, AuthOutcome::kOk);
}

TEST_F(DigestAuthTest, NotARequestIsBad) {
  auto auth = make(options());
  const auto response = psip::parse_message(
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-1\r\n"
      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>;tag=2\r\nCall-ID: x\r\n"
      "CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(auth.verify(*response, kRealm, false).outcome, AuthOutcome::kBadCredentials);
}

TEST_F(DigestAuthTest, OutcomeNames) {
  EXPECT_EQ(to_text(AuthOutcome::kOk), "ok");
  EXPECT_EQ(to_text(AuthOutcome::kStale), "stale");
  EXPECT_EQ(to_text(AuthOutcome::kReplay), "replay");
}

}  // namespace
}  // namespace parley::sip
