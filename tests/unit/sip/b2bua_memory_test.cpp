// Memory per established call (goal: at most 16 KiB, docs/decisions/0005-b2bua.md). This
// executable replaces the global operator new/delete to count live heap bytes, establishes a
// batch of calls through the real TransactionLayer, lets every transaction and kept ACK expire,
// and divides what is still allocated by the number of calls.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "b2bua_test_support.hpp"

namespace {

std::atomic<long long> g_live_bytes{0};

// Each block carries its size in front, so that every form of delete can account for it.
constexpr std::size_t kHeader = alignof(std::max_align_t);

void* counted_alloc(std::size_t size) {
  auto* block = static_cast<unsigned char*>(std::malloc(size + kHeader));
  if (block == nullptr) return nullptr;
  *reinterpret_cast<std::size_t*>(block) = size;  // NOLINT
  g_live_bytes += static_cast<long long>(size);
  return block + kHeader;
}

void counted_free(void* pointer) noexcept {
  if (pointer == nullptr) return;
  auto* block = static_cast<unsigned char*>(pointer) - kHeader;
  g_live_bytes -= static_cast<long long>(*reinterpret_cast<std::size_t*>(block));  // NOLINT
  std::free(block);
}

}  // namespace

void* operator new(std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return counted_alloc(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return counted_alloc(size);
}
void operator delete(void* p) noexcept {
  counted_free(p);
}
void operator delete[](void* p) noexcept {
  counted_free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  counted_free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  counted_free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  counted_free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  counted_free(p);
}

namespace parley::sip::testing {
namespace {

class B2buaMemoryTest : public B2buaFixture {
 protected:
  void establish_call(int n) {
    Request invite;
    invite.call_id = "call-" + std::to_string(n) + "@192.0.2.10";
    invite.from = "\"Alice\" <sip:1001@example.com>;tag=a" + std::to_string(n);
    invite.via_branch = "z9hG4bKm" + std::to_string(n);
    auto [b1, b2] = invite_and_fork(invite);
    from_b1(answer(b1.message, 180, "b1tag"));
    from_b2(
        answer(b2.message, 200, "b2tag" + std::to_string(n), "<sip:1002@10.0.0.22:5064>", kSdpB));
    auto sent = drain();
    const Out* ok = find_status(sent, a_peer_, 200);
    ASSERT_NE(ok, nullptr);
    const Out* cancel = find(sent, b1_peer_, "CANCEL");
    ASSERT_NE(cancel, nullptr);
    from_b1(answer(cancel->message, 200, "b1tag"));
    from_b1(answer(b1.message, 487, "b1tag"));
    Request ack;
    ack.method = "ACK";
    ack.via_branch = "z9hG4bKmack" + std::to_string(n);
    ack.from = invite.from;
    ack.call_id = invite.call_id;
    ack.to = "<sip:1002@example.com>;tag=" + std::string(ok->message.to_tag());
    ack.contact.clear();
    ack.body.clear();
    from_a(ack.text());
    drain();
  }
};

TEST_F(B2buaMemoryTest, EstablishedCallCostsUnder16KiB) {
  constexpr int kCalls = 200;
  establish_call(-1);  // warm up lazily allocated state
  run_for(std::chrono::seconds(40));
  drain();
  transport_.sent.shrink_to_fit();
  const long long before = g_live_bytes.load();
  for (int i = 0; i < kCalls; ++i) establish_call(i);
  // Right after the ACK the layer still holds each call's transactions (the INVITEs in
  // Accepted, B1's in Completed) and we still keep the ACK for retransmitted 2xx.
  const long long just_answered = (g_live_bytes.load() - before) / kCalls;
  std::printf("live heap per call just after the ACK: %lld bytes\n", just_answered);
  EXPECT_LE(just_answered, 32 * 1024);
  // Every transaction has ended and every kept ACK been dropped: what stays is the calls.
  run_for(std::chrono::seconds(40));
  drain();
  transport_.sent.shrink_to_fit();
  ASSERT_EQ(b2bua_.call_count(), static_cast<std::size_t>(kCalls + 1));
  ASSERT_EQ(layer_.size(), 0U);
  ASSERT_EQ(b2bua_.tracked_client_count(), 0U);
  const long long per_call = (g_live_bytes.load() - before) / kCalls;
  std::printf("live heap per established call: %lld bytes\n", per_call);
  EXPECT_GT(per_call, 0);
  EXPECT_LE(per_call, 16 * 1024);
}

}  // namespace
}  // namespace parley::sip::testing
