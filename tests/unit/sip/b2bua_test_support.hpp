#pragma once
// Fixture for the B2BUA tests: a real TransactionLayer whose Listener is the B2bua, a recording
// transport, a ManualClock, and small in-test implementations of the routing, location and
// call-record seams. Every message goes in and out as wire text through parse_message.
//
// Parties: extension 1001 (Alice, the caller) at 192.0.2.10:5060; extension 1002 with two
// registered devices, B1 at 198.51.100.21:5062 (UDP) and B2 at 198.51.100.22:5064 (UDP, behind
// an edge proxy that put a Path in its registration). We listen on 192.0.2.1:5060.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/response.hpp"
#include "sip/b2bua.hpp"
#include "transaction_test_support.hpp"

namespace parley::sip::testing {

inline constexpr std::string_view kSdpA =
    "v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\n";
inline constexpr std::string_view kSdpB =
    "v=0\r\no=bob 2 2 IN IP4 198.51.100.22\r\ns=-\r\nc=IN IP4 198.51.100.22\r\nt=0 0\r\n"
    "m=audio 5000 RTP/AVP 0\r\n";

class FakeRouting final : public CallRouting {
 public:
  std::optional<CallTenant> resolve_tenant(std::string_view host) override {
    auto it = tenants.find(std::string(host));
    if (it == tenants.end()) return std::nullopt;
    return it->second;
  }
  CallAuth authenticate(const protocol::sip::Message& invite, const CallTenant& tenant) override {
    ++auth_calls;
    CallAuth result;
    if (forbidden) {
      result.outcome = CallAuthOutcome::kForbidden;
      return result;
    }
    if (require_credentials && !invite.has(protocol::sip::HeaderId::kProxyAuthorization)) {
      result.outcome = CallAuthOutcome::kChallenge;
      result.challenges.push_back("Digest realm=\"" + tenant.domain +
                                  "\", nonce=\"n1\", algorithm=SHA-256, qop=\"auth\"");
      result.challenges.push_back("Digest realm=\"" + tenant.domain +
                                  "\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"");
      return result;
    }
    result.outcome = CallAuthOutcome::kOk;
    if (authenticated_user) {
      result.username = *authenticated_user;
    } else {
      auto from = protocol::sip::parse_name_addr(invite.first(protocol::sip::HeaderId::kFrom));
      if (from.ok()) result.username.assign(from->uri.user);
    }
    return result;
  }
  bool extension_exists(const CallTenant& tenant, std::string_view number) override {
    return extensions.contains({tenant.id, std::string(number)});
  }
  CallPlan plan_call(const CallTenant& tenant, std::string_view caller,
                     std::string_view dialled) override {
    if (planner) return planner(tenant, caller, dialled);
    return CallRouting::plan_call(tenant, caller, dialled);
  }
  std::optional<CallAuth> authenticate_peer(const protocol::sip::Message& invite) override {
    if (peer_auth) return peer_auth(invite);
    return CallRouting::authenticate_peer(invite);
  }
  CallPlan plan_peer_call(const CallTenant& tenant, const CallAuth& auth, std::string_view caller,
                          std::string_view called) override {
    if (peer_planner) return peer_planner(tenant, auth, caller, called);
    return CallRouting::plan_peer_call(tenant, auth, caller, called);
  }
  // Set to trust provider trunks (issue 11); empty = nobody is trusted by address.
  std::function<std::optional<CallAuth>(const protocol::sip::Message&)> peer_auth;
  std::function<CallPlan(const CallTenant&, const CallAuth&, std::string_view, std::string_view)>
      peer_planner;
  // Set to plan calls like pbx/ would (ring groups, forwarding); empty = the default plan.
  std::function<CallPlan(const CallTenant&, std::string_view, std::string_view)> planner;

  std::map<std::string, CallTenant> tenants;
  std::set<std::pair<store::TenantId, std::string>> extensions;
  bool require_credentials = false;
  bool forbidden = false;
  std::optional<std::string> authenticated_user;
  int auth_calls = 0;
};

class FakeLocation final : public LocationService {
 public:
  std::vector<store::Binding> lookup(store::TenantId tenant,
                                     std::string_view extension) const override {
    auto it = bindings.find({tenant, std::string(extension)});
    return it == bindings.end() ? std::vector<store::Binding>{} : it->second;
  }
  std::map<std::pair<store::TenantId, std::string>, std::vector<store::Binding>> bindings;
};

class RecordingSink final : public CallRecordSink {
 public:
  void record(const store::CallRecord& record) override { records.push_back(record); }
  std::vector<store::CallRecord> records;
};

// One message we sent, parsed.
struct Out {
  Peer to;
  std::string text;
  Message message;
  bool is(std::string_view method) const {
    return message.is_request() && message.method_text() == method;
  }
  bool is_status(int status) const {
    return !message.is_request() && message.status_code() == status;
  }
};

// A request as wire text, with an optional body.
struct Request {
  std::string method = "INVITE";
  std::string uri = "sip:1002@example.com";
  std::string via_branch = "z9hG4bKa1";
  std::string via_host = "192.0.2.10:5060";
  std::string from = "\"Alice\" <sip:1001@example.com>;tag=atag";
  std::string to = "<sip:1002@example.com>";
  std::string call_id = "a-call@192.0.2.10";
  std::uint32_t cseq = 1;
  std::string cseq_method;  // empty = method
  std::string contact = "<sip:1001@192.0.2.10:5060>";
  std::string extra;  // whole header lines
  std::string content_type = "application/sdp";
  std::string body = std::string(kSdpA);

  std::string text() const {
    std::string out = method + " " + uri + " SIP/2.0\r\n";
    out += "Via: SIP/2.0/UDP " + via_host + ";branch=" + via_branch + "\r\n";
    out += "Max-Forwards: 70\r\n";
    out += "From: " + from + "\r\n";
    out += "To: " + to + "\r\n";
    out += "Call-ID: " + call_id + "\r\n";
    out += "CSeq: " + std::to_string(cseq) + " " + (cseq_method.empty() ? method : cseq_method) +
           "\r\n";
    if (!contact.empty()) out += "Contact: " + contact + "\r\n";
    out += extra;
    if (!body.empty()) out += "Content-Type: " + content_type + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return out;
  }
};

// The response a UA sends to `request` (as we sent it to that UA).
inline std::string answer(const Message& request, int status, std::string_view to_tag,
                          std::string_view contact = {}, std::string_view body = {},
                          protocol::sip::ExtraHeaders extra = {}) {
  protocol::sip::ResponseOptions options;
  options.status_code = status;
  options.to_tag = status == 100 ? std::string_view() : to_tag;
  if (!contact.empty()) options.extra_headers.emplace_back("Contact", std::string(contact));
  for (auto& header : extra) options.extra_headers.push_back(std::move(header));
  if (!body.empty()) {
    options.content_type = "application/sdp";
    options.body = body;
  }
  return protocol::sip::build_response(request, options);
}

inline Peer make_peer(std::string_view remote, TransportKind kind = TransportKind::kUdp) {
  Peer peer;
  peer.transport = kind;
  peer.remote = *net::SocketAddress::parse(remote);
  peer.local = *net::SocketAddress::parse("192.0.2.1:5060");
  return peer;
}

class B2buaFixture : public ::testing::Test {
 protected:
  static constexpr store::TenantId kTenant = 1;
  static constexpr store::TenantId kOtherTenant = 2;
  static constexpr store::UnixMillis kWallStart = 1'700'000'000'000;

  explicit B2buaFixture(const std::function<void(B2buaOptions&)>& tweak = {})
      : b2bua_(options(tweak)), layer_(layer_options()) {
    routing_.tenants["example.com"] = CallTenant{kTenant, "example.com"};
    routing_.tenants["other.example"] = CallTenant{kOtherTenant, "other.example"};
    routing_.extensions = {
        {kTenant, "1001"}, {kTenant, "1002"}, {kTenant, "1003"}, {kOtherTenant, "2001"}};
    location_.bindings[{kTenant, "1002"}] = {
        binding("sip:1002@10.0.0.21:5062", "198.51.100.21", 5062),
        binding("sip:1002@10.0.0.22:5064", "198.51.100.22", 5064, "<sip:edge.example.com;lr>")};
    location_.bindings[{kOtherTenant, "2001"}] = {
        binding("sip:2001@10.0.0.31:5060", "198.51.100.31", 5060)};
  }

  B2buaOptions options(const std::function<void(B2buaOptions&)>& tweak) {
    B2buaOptions o{.layer = layer_,
                   .transport = transport_,
                   .clock = clock_,
                   .routing = routing_,
                   .location = location_,
                   .records = records_,
                   .fallback = &fallback_,
                   .wall_clock =
                       [this] {
                         return kWallStart + std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 clock_.now() - wall_zero_)
                                                 .count();
                       },
                   .advertised_host = {},
                   .no_answer_timeout = std::chrono::seconds(30),
                   .user_agent = "Parley",
                   .allow_inter_tenant_calls = false,
                   .max_calls = 100000};
    if (tweak) tweak(o);
    return o;
  }

  TransactionLayer::Options layer_options() {
    return TransactionLayer::Options{clock_, transport_, b2bua_, TimerValues{}, 100000, 11};
  }

  static store::Binding binding(std::string contact, std::string ip, std::uint16_t port,
                                std::string path = {}) {
    store::Binding b;
    b.tenant_id = kTenant;
    b.contact_uri = std::move(contact);
    b.path = std::move(path);
    b.received = store::Endpoint{"UDP", std::move(ip), port};
    b.local_socket = store::Endpoint{"UDP", "192.0.2.1", 5060};
    return b;
  }

  // --- feeding messages in ---
  void from_a(const std::string& text) { layer_.on_message(parse(text), a_peer_); }
  void from_peer(const std::string& text, const Peer& peer) {
    layer_.on_message(parse(text), peer);
  }
  void from_b1(const std::string& text) { from_peer(text, b1_peer_); }
  void from_b2(const std::string& text) { from_peer(text, b2_peer_); }

  // --- what we sent ---
  // Everything sent since the last drain(), parsed.
  std::vector<Out> drain() {
    std::vector<Out> out;
    for (auto& sent : transport_.sent) {
      Out o{sent.to, sent.bytes, parse(sent.bytes)};
      out.push_back(std::move(o));
    }
    transport_.sent.clear();
    return out;
  }
  static std::vector<Out> only(const std::vector<Out>& all, const Peer& to) {
    std::vector<Out> out;
    for (const auto& o : all) {
      if (o.to.remote == to.remote) out.push_back(o);
    }
    return out;
  }
  static const Out* find(const std::vector<Out>& all, const Peer& to, std::string_view method) {
    for (const auto& o : all) {
      if (o.to.remote == to.remote && o.is(method)) return &o;
    }
    return nullptr;
  }
  static const Out* find_status(const std::vector<Out>& all, const Peer& to, int status) {
    for (const auto& o : all) {
      if (o.to.remote == to.remote && o.is_status(status)) return &o;
    }
    return nullptr;
  }

  // Moves the clock forward by `span`, firing both timer sources at their deadlines as the
  // worker loop would.
  void run_for(Duration span) {
    const TimePoint end = clock_.now() + span;
    for (;;) {
      const TimePoint next = std::min(layer_.next_deadline(), b2bua_.next_deadline());
      if (next > end) break;
      if (next > clock_.now()) clock_.advance(next - clock_.now());
      layer_.process_timers();
      b2bua_.process_timers();
    }
    clock_.advance(end - clock_.now());
  }

  // --- common flows ---
  // Sends Alice's INVITE and returns the forked INVITEs, B1's first.
  std::pair<Out, Out> invite_and_fork(const Request& invite = Request{}) {
    from_a(invite.text());
    auto sent = drain();
    const Out* b1 = find(sent, b1_peer_, "INVITE");
    const Out* b2 = find(sent, b2_peer_, "INVITE");
    EXPECT_NE(b1, nullptr);
    EXPECT_NE(b2, nullptr);
    if (b1 == nullptr || b2 == nullptr) return {};
    return {*b1, *b2};
  }

  // A call answered by B2 and ACKed by Alice; returns B2's INVITE (as we sent it).
  Out establish() {
    auto [b1, b2] = invite_and_fork();
    from_b1(answer(b1.message, 180, "b1tag"));
    from_b2(answer(b2.message, 200, "b2tag", "<sip:1002@10.0.0.22:5064>", kSdpB));
    auto sent = drain();
    const Out* ok = find_status(sent, a_peer_, 200);
    EXPECT_NE(ok, nullptr);
    if (ok != nullptr) a_tag_ = std::string(ok->message.to_tag());
    // B1 gets CANCEL; it answers 200 and 487 (the layer ACKs the 487).
    if (const Out* cancel = find(sent, b1_peer_, "CANCEL")) {
      from_b1(answer(cancel->message, 200, "b1tag"));
      from_b1(answer(b1.message, 487, "b1tag"));
    }
    from_a(ack_from_a().text());
    drain();
    return b2;
  }

  // Alice's ACK for our 2xx (CSeq 1, To tag = a_tag_).
  Request ack_from_a(std::uint32_t cseq = 1) const {
    Request ack;
    ack.method = "ACK";
    ack.via_branch = "z9hG4bKack" + std::to_string(cseq);
    ack.to = "<sip:1002@example.com>;tag=" + a_tag_;
    ack.cseq = cseq;
    ack.contact.clear();
    ack.body.clear();
    return ack;
  }

  // An in-dialog request from Alice (To tag = a_tag_).
  Request from_alice(std::string method, std::uint32_t cseq) const {
    Request request;
    request.method = std::move(method);
    request.uri = "sip:1002@192.0.2.1:5060";
    request.via_branch = "z9hG4bKalice" + std::to_string(cseq);
    request.to = "<sip:1002@example.com>;tag=" + a_tag_;
    request.cseq = cseq;
    request.body.clear();
    return request;
  }

  // An in-dialog request from B2 on the callee leg created from `b2_invite` (its 2xx had To tag
  // "b2tag").
  static Request from_bob(const Out& b2_invite, std::string method, std::uint32_t cseq) {
    const Message& invite = b2_invite.message;
    Request request;
    request.method = std::move(method);
    request.uri = "sip:1001@192.0.2.1:5060";
    request.via_host = "198.51.100.22:5064";
    request.via_branch = "z9hG4bKbob" + std::to_string(cseq);
    request.from = std::string(invite.first(protocol::sip::HeaderId::kTo)) + ";tag=b2tag";
    request.to = std::string(invite.first(protocol::sip::HeaderId::kFrom));
    request.call_id = std::string(invite.call_id());
    request.cseq = cseq;
    request.contact = "<sip:1002@10.0.0.22:5064>";
    request.body.clear();
    return request;
  }

  ManualClock clock_;
  TimePoint wall_zero_ = clock_.now();
  RecordingTransport transport_;
  FakeRouting routing_;
  FakeLocation location_;
  RecordingSink records_;
  RecordingListener fallback_;
  // The B2bua comes first: the layer's constructor needs it as its Listener (see b2bua.hpp).
  B2bua b2bua_;
  TransactionLayer layer_;

  Peer a_peer_ = make_peer("192.0.2.10:5060");
  Peer b1_peer_ = make_peer("198.51.100.21:5062");
  Peer b2_peer_ = make_peer("198.51.100.22:5064");
  std::string a_tag_;  // our To tag towards Alice
};

}  // namespace parley::sip::testing
