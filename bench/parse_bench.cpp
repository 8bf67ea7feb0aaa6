// SIP parser micro-benchmark: parse_message over a typical ~800-byte INVITE with SDP and a
// 200 OK, plus serialise and build_response. Reports items (messages) per second.
//   build/release/bench/parse_bench

#include <benchmark/benchmark.h>

#include <string>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/message.hpp"
#include "protocol/sip/response.hpp"

namespace {

namespace sip = parley::protocol::sip;

const std::string kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com;transport=udp>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, REFER, NOTIFY, MESSAGE\r\n"
    "Supported: replaces, timer, 100rel\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 270\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n"
    "s=Session SDP\r\n"
    "c=IN IP4 192.0.2.101\r\n"
    "t=0 0\r\n"
    "m=audio 49172 RTP/AVP 0 8 9 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

const std::string kOk =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bK4b43c2ff8.1\r\n"
    "Via: SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;received=192.0.2.1\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:bob@192.0.2.4>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

void check_parses(const std::string& text, benchmark::State& state) {
  if (!sip::parse_message(text).ok()) state.SkipWithError("benchmark message does not parse");
}

void BM_ParseInvite(benchmark::State& state) {
  check_parses(kInvite, state);
  for (auto _ : state) {
    auto m = sip::parse_message(kInvite);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kInvite.size()));
  state.counters["message_bytes"] = static_cast<double>(kInvite.size());
}
BENCHMARK(BM_ParseInvite);

void BM_Parse200Ok(benchmark::State& state) {
  check_parses(kOk, state);
  for (auto _ : state) {
    auto m = sip::parse_message(kOk);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kOk.size()));
  state.counters["message_bytes"] = static_cast<double>(kOk.size());
}
BENCHMARK(BM_Parse200Ok);

void BM_SerialiseInvite(benchmark::State& state) {
  const auto m = sip::parse_message(kInvite);
  if (!m.ok()) state.SkipWithError("benchmark message does not parse");
  for (auto _ : state) {
    std::string text = sip::serialise(*m);
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SerialiseInvite);

void BM_BuildResponse(benchmark::State& state) {
  const auto m = sip::parse_message(kInvite);
  if (!m.ok()) state.SkipWithError("benchmark message does not parse");
  sip::ResponseOptions options;
  options.status_code = 180;
  options.to_tag = "a6c85cf";
  for (auto _ : state) {
    std::string text = sip::build_response(*m, options);
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildResponse);

void BM_ParseViaAndContact(benchmark::State& state) {
  const auto m = sip::parse_message(kInvite);
  if (!m.ok()) state.SkipWithError("benchmark message does not parse");
  for (auto _ : state) {
    auto via = sip::parse_via(m->top_via());
    auto contact = sip::parse_name_addr(m->first(sip::HeaderId::kContact));
    benchmark::DoNotOptimize(via);
    benchmark::DoNotOptimize(contact);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseViaAndContact);

}  // namespace

BENCHMARK_MAIN();
