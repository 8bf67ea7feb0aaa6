#include "app/smtp_client.hpp"

#include <array>
#include <optional>

#include "app/mail_message.hpp"
#include "app/smtp_reply.hpp"
#include "net/asio.hpp"

namespace parley::app {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Deadline = std::chrono::steady_clock::time_point;

// One SMTP conversation: each step runs the io_context until its operation completed or the
// deadline passed (then the socket is closed and the aborted handlers drained before returning,
// so none outlives the locals it refers to).
class Conversation {
 public:
  explicit Conversation(const SmtpOptions& options)
      : options_(options), deadline_(std::chrono::steady_clock::now() + options.timeout) {}

  ~Conversation() { abort(); }
  Conversation(const Conversation&) = delete;
  Conversation& operator=(const Conversation&) = delete;

  Result<void> connect() {
    tcp::resolver resolver(io_);
    std::optional<boost::system::error_code> outcome;
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(options_.host, std::to_string(options_.port),
                           [&](const boost::system::error_code& error, auto results) {
                             outcome = error;
                             endpoints = std::move(results);
                           });
    if (!wait(outcome)) return failed("resolving " + options_.host + ": timed out");
    if (*outcome) return failed("resolving " + options_.host + ": " + outcome->message());
    outcome.reset();
    asio::async_connect(
        socket_, endpoints,
        [&](const boost::system::error_code& error, const tcp::endpoint&) { outcome = error; });
    if (!wait(outcome)) return failed("connecting to " + where() + ": timed out");
    if (*outcome) return failed("connecting to " + where() + ": " + outcome->message());
    return {};
  }

  // Sends `command` (nothing when empty) and reads the reply to it.
  Result<SmtpReply> exchange(std::string_view command) {
    if (!command.empty()) {
      std::optional<boost::system::error_code> outcome;
      asio::async_write(
          socket_, asio::buffer(command.data(), command.size()),
          [&](const boost::system::error_code& error, std::size_t) { outcome = error; });
      if (!wait(outcome)) return failed("writing to " + where() + ": timed out");
      if (*outcome) return failed("writing to " + where() + ": " + outcome->message());
    }
    while (true) {
      auto parsed = parse_smtp_reply(inbox_);
      if (!parsed) return failed(where() + ": " + parsed.error().message);
      if (*parsed) {
        inbox_.erase(0, (*parsed)->consumed);
        return std::move(**parsed);
      }
      std::optional<boost::system::error_code> outcome;
      std::size_t received = 0;
      socket_.async_read_some(asio::buffer(chunk_),
                              [&](const boost::system::error_code& error, std::size_t count) {
                                outcome = error;
                                received = count;
                              });
      if (!wait(outcome)) return failed("reading from " + where() + ": timed out");
      if (*outcome) return failed("reading from " + where() + ": " + outcome->message());
      inbox_.append(chunk_.data(), received);
    }
  }

  std::string where() const { return options_.host + ":" + std::to_string(options_.port); }

 private:
  bool wait(const std::optional<boost::system::error_code>& outcome) {
    io_.restart();
    // Bounded by the deadline: run_one_until returns 0 once it has passed.
    while (!outcome) {
      if (io_.run_one_until(deadline_) == 0) break;
    }
    if (outcome) return true;
    abort();
    return false;
  }

  void abort() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    io_.restart();
    io_.run();  // the cancelled operations' handlers, at once
  }

  static Error failed(std::string why) { return make_error(0, "SMTP: " + std::move(why)); }

  const SmtpOptions& options_;
  const Deadline deadline_;
  asio::io_context io_;
  tcp::socket socket_{io_};
  std::string inbox_;
  std::array<char, 4096> chunk_{};
};

Result<void> expect(const Result<SmtpReply>& reply, int wanted_class, std::string_view step) {
  if (!reply) return reply.error();
  if (reply->code / 100 == wanted_class) return {};
  return make_error(reply->code, "SMTP: the relay answered " + std::string(step) + " with " +
                                     std::to_string(reply->code) + " " +
                                     (reply->lines.empty() ? "" : reply->lines.front()));
}

}  // namespace

Result<void> send_mail(const SmtpOptions& options, const SmtpEnvelope& envelope,
                       std::string_view message) {
  Conversation smtp(options);
  if (auto connected = smtp.connect(); !connected) return connected.error();
  if (auto greeted = expect(smtp.exchange({}), 2, "the connection"); !greeted) {
    return greeted.error();
  }
  auto hello = smtp.exchange("EHLO " + options.helo + "\r\n");
  if (!hello) return hello.error();
  if (hello->code / 100 != 2) {
    // RFC 5321 §3.2: a server that does not know EHLO still knows HELO.
    if (auto helo = expect(smtp.exchange("HELO " + options.helo + "\r\n"), 2, "HELO"); !helo) {
      return helo.error();
    }
  }
  if (auto from = expect(smtp.exchange("MAIL FROM:<" + envelope.from + ">\r\n"), 2, "MAIL FROM");
      !from) {
    return from.error();
  }
  if (auto to = expect(smtp.exchange("RCPT TO:<" + envelope.to + ">\r\n"), 2, "RCPT TO"); !to) {
    return to.error();
  }
  if (auto data = expect(smtp.exchange("DATA\r\n"), 3, "DATA"); !data) return data.error();
  if (auto sent = expect(smtp.exchange(dot_stuff(message)), 2, "the message"); !sent) {
    return sent.error();
  }
  (void)smtp.exchange("QUIT\r\n");  // the message is accepted; a rude goodbye changes nothing
  return {};
}

}  // namespace parley::app
