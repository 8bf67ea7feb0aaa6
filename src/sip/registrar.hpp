#pragma once
// Registrar: answers REGISTER requests (RFC 3261 §10.3 with RFC 5626 outbound, RFC 3327 Path,
// RFC 7616/8760 digest) from the Directory, the LocationTable, a DigestAuthenticator and an
// AuthThrottle. The full rule set, and every status code choice, is in
// docs/decisions/0004-registrar.md; in order:
//
//   1. Syntax the registrar relies on: Call-ID, CSeq below 2^31, a sip/sips To with a user
//      part, one Expires at most -> 400. Request-URI host -> tenant (Directory), To host must
//      belong to the same tenant -> 404 otherwise.
//   2. Banned source (AuthThrottle::is_banned) -> 403, no challenge. Answering (not dropping)
//      keeps the transaction layer from holding an unanswered transaction until it times out.
//   3. Digest (realm = tenant domain): no credentials -> 401 with one WWW-Authenticate per
//      algorithm (SHA-256, then MD5); stale -> 401 stale=true; bad -> failure counted, 401 with
//      a fresh challenge. An unknown user and a wrong password follow one code path, so their
//      answers differ only in nonce and To tag. A used nonce count -> 401, except for the
//      retransmission of a REGISTER already applied (same Call-ID and CSeq as a live binding of
//      the AOR): 200 with the current bindings, nothing changed (decision 0036).
//   4. The authenticated user must be the To user (the AOR) -> 403 otherwise.
//   5. Contacts, all validated before anything changes (a REGISTER is all or nothing): malformed
//      -> 400; too many in one request -> 400; "*" only alone and with Expires: 0 -> 400
//      otherwise; non-zero expiry below min_expires -> 423 with Min-Expires; above
//      max_expires -> shortened; reg-id rules of RFC 5626 §6 (400 / 439 / ignored).
//   6. LocationTable::apply: Call-ID/CSeq order (§10.3 steps 6-7) -> 500; past
//      max_bindings_per_aor -> 403; writer queue full -> 503 with Retry-After.
//   7. 200 listing every live binding with its expires (and q, +sip.instance, reg-id), a Date,
//      the request's Path when the UA supports "path", Require: outbound when outbound applied.
//
// Thread-safety: handle() may be called from every worker at once: its collaborators are
// thread-safe and it keeps only atomic counters. It answers synchronously and never blocks on
// disk (store writes go through the LocationTable's writer thread).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/sip/message.hpp"
#include "protocol/sip/response.hpp"
#include "sip/auth_throttle.hpp"
#include "sip/digest_auth.hpp"
#include "sip/directory.hpp"
#include "sip/location_table.hpp"
#include "sip/transaction.hpp"
#include "sip/transport.hpp"

namespace parley::sip {

struct RegistrarOptions {
  std::uint32_t default_expires = 3600;  // neither an expires parameter nor an Expires header
  std::uint32_t min_expires = 60;        // below, and not 0: 423 Interval Too Brief
  std::uint32_t max_expires = 7200;      // above: shortened to this
  std::size_t max_bindings_per_aor = 10;
  std::size_t max_contacts_per_request = 20;  // beyond: 400 before any parsing of them
  std::uint32_t retry_after_seconds = 5;      // in the 503 sent when the writer queue is full
  std::string server;                         // Server header value; empty = none
  WallClock wall_clock;                       // expiry and Date; empty = system_unix_seconds
  std::uint64_t random_seed = 0;              // To tags; 0 = std::random_device
};

class Registrar {
 public:
  // Counters for metrics and tests. They only grow.
  struct Stats {
    std::uint64_t accepted = 0;    // 200 answers
    std::uint64_t challenged = 0;  // 401 answers
    std::uint64_t auth_failures = 0;
    std::uint64_t banned = 0;    // 403 to banned sources
    std::uint64_t rejected = 0;  // every other 4xx-5xx
    std::uint64_t repeated = 0;  // retransmissions of an applied REGISTER answered 200 again
  };

  // Every collaborator must outlive the Registrar.
  Registrar(Directory& directory, LocationTable& location, DigestAuthenticator& authenticator,
            AuthThrottle& throttle, RegistrarOptions options = {});
  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  // What the registrar answers to `request` from `from`, with every binding change already
  // applied. Used by handle(); public for callers that send responses themselves.
  struct Answer {
    int status_code = 500;
    std::string reason;  // empty = the default phrase
    protocol::sip::ExtraHeaders headers;
  };
  Answer process(const protocol::sip::Message& request, const Peer& from);

  // Processes a REGISTER and answers it through `transaction` (from TransactionLayer::Listener::
  // on_request; `from` is normally transaction.peer()).
  void handle(const protocol::sip::Message& request, ServerTransaction& transaction,
              const Peer& from);

  // Processes a REGISTER and answers it straight through `transport`, holding no transaction
  // (RFC 3261 §8.2.7 stateless UAS; decision 0036): the 401 needs no state (its nonce is signed),
  // and a retransmission of an accepted REGISTER is recognised by the location table (same
  // Call-ID and CSeq as a stored binding, credentials valid but their nonce count used) and gets
  // 200 with the current bindings again, changing nothing. The To tag is derived from the
  // request, so a retransmission gets the same one. A request without a top Via is dropped.
  // Returns false when nothing was sent.
  bool answer_statelessly(const protocol::sip::Message& request, const Peer& from,
                          Transport& transport);

  Stats stats() const;

 private:
  struct Request;  // per-request working state (registrar.cpp)

  Answer reject(int status_code, std::string_view reason);
  Answer challenge(std::string_view realm, bool stale);
  Answer update_bindings(const Request& request, const protocol::sip::Message& message,
                         const Peer& from);
  // The 200 for a REGISTER whose changes are applied: every live binding and a Date.
  Answer accepted(const std::vector<RegisteredContact>& bindings,
                  const protocol::sip::Message& message, bool outbound_used);
  // The response to `request` for `answer`, with a Server header when configured.
  protocol::sip::ResponseOptions response_for(Answer& answer, std::string_view to_tag) const;
  std::string make_tag();
  // A To tag that is a function of the request (Call-ID, From tag, CSeq, top Via branch).
  std::string stateless_tag(const protocol::sip::Message& request) const;
  store::UnixSeconds now() const { return wall_clock_(); }

  Directory& directory_;
  LocationTable& location_;
  DigestAuthenticator& authenticator_;
  AuthThrottle& throttle_;
  const RegistrarOptions options_;
  WallClock wall_clock_;
  const std::uint64_t tag_seed_;
  std::atomic<std::uint64_t> tag_counter_{0};

  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> challenged_{0};
  std::atomic<std::uint64_t> auth_failures_{0};
  std::atomic<std::uint64_t> banned_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> repeated_{0};
};

// Parses a delta-seconds value (RFC 3261 §25.1: 1*DIGIT), saturating at 2^32-1 as §20.19
// allows; nullopt when it is not all digits.
std::optional<std::uint32_t> parse_delta_seconds(std::string_view text);
// Parses a qvalue (RFC 3261 §25.1: "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")]) into per mille.
std::optional<std::uint16_t> parse_qvalue(std::string_view text);
// An RFC 1123 date for the Date header: "Sat, 13 Nov 2010 23:29:00 GMT".
std::string http_date(store::UnixSeconds when);

}  // namespace parley::sip
