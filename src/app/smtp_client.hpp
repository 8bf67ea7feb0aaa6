#pragma once
// A small SMTP client (RFC 5321) for handing one message to a relay: greeting, EHLO (HELO when
// the server refuses EHLO), MAIL FROM, RCPT TO, DATA with dot-stuffing, QUIT. No AUTH and no
// STARTTLS (decision 0034: Parley hands mail to a relay on the host or a trusted network, which
// does those towards the world).
//
// send_mail() blocks the calling thread (the voicemail mailer's own thread, never a worker
// loop) for at most `timeout` in all, using Boost.Asio on a private io_context: name
// resolution, connection and every read and write count against one deadline, and a server that
// stalls, sends garbage or too much is dropped with an error.
//
// Errors: Error::code is the SMTP reply code when the server refused (4xx transient, 5xx
// permanent), 0 for connection trouble, timeouts and protocol violations (worth retrying).
//
// Thread-safety: send_mail() is reentrant; each call has its own socket and io_context.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace parley::app {

struct SmtpOptions {
  std::string host;  // name or address of the relay
  std::uint16_t port = 25;
  std::string helo = "localhost";  // our name in EHLO/HELO
  std::chrono::milliseconds timeout{30000};
};

struct SmtpEnvelope {
  std::string from;  // reverse-path (an addr-spec, without angle brackets)
  std::string to;    // forward-path
};

// `message` is the RFC 5322 message (headers, blank line, body) with CRLF line ends; it is
// dot-stuffed here.
Result<void> send_mail(const SmtpOptions& options, const SmtpEnvelope& envelope,
                       std::string_view message);

}  // namespace parley::app
