// Voicemail to e-mail's pieces (decision 0034) against a real SMTP sink on 127.0.0.1: the reply
// parser, the MIME composition and dot-stuffing, the SMTP dialogue of send_mail() (EHLO, HELO
// fallback, refusals, a silent server, a closed port) and the mailer's retry after a transient
// failure.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/mail_message.hpp"
#include "app/smtp_client.hpp"
#include "app/smtp_reply.hpp"
#include "app/voicemail_mailer.hpp"

namespace parley::app {
namespace {

using namespace std::chrono_literals;

// --- a scripted SMTP sink ----------------------------------------------------------------------

struct Received {
  std::vector<std::string> commands;  // every command line, CRLF removed
  std::string data;                   // the DATA bytes up to (not including) "\r\n.\r\n"
};

class SmtpSink {
 public:
  // `answer` maps a command line to the reply to send (with CRLF); empty = the default.
  using Answer = std::function<std::string(int connection, const std::string& command)>;

  explicit SmtpSink(Answer answer = {}, bool greet = true)
      : answer_(std::move(answer)), greet_(greet) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    ::listen(listener_, 4);
    thread_ = std::thread([this] { serve(); });
  }
  ~SmtpSink() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  std::vector<Received> sessions() const {
    std::lock_guard lock(mutex_);
    return sessions_;
  }

 private:
  void serve() {
    // Bounded: at most 8 connections, each bounded by its receive timeout.
    for (int connection = 0; connection < 8 && !stop_; ++connection) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      timeval timeout{2, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      converse(fd, connection);
      ::close(fd);
    }
  }

  void converse(int fd, int connection) {
    {
      std::lock_guard lock(mutex_);
      sessions_.emplace_back();
    }
    if (!greet_) {
      char byte = 0;
      (void)::recv(fd, &byte, 1, 0);  // until the client gives up
      return;
    }
    send_text(fd, "220 sink.test ESMTP\r\n");
    std::string inbox;
    bool in_data = false;
    while (true) {
      const std::string end = in_data ? "\r\n.\r\n" : "\r\n";
      const std::size_t at = inbox.find(end);
      if (at == std::string::npos) {
        char chunk[4096];
        const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
        if (got <= 0) return;
        inbox.append(chunk, static_cast<std::size_t>(got));
        continue;
      }
      const std::string piece = inbox.substr(0, at);
      inbox.erase(0, at + end.size());
      std::string reply;
      {
        std::lock_guard lock(mutex_);
        if (in_data) {
          sessions_.back().data = piece;
        } else {
          sessions_.back().commands.push_back(piece);
        }
      }
      const std::string key = in_data ? std::string("<data>") : piece;
      if (answer_) reply = answer_(connection, key);
      if (reply.empty()) reply = default_reply(key);
      in_data = !in_data && key == "DATA" && reply.starts_with("354");
      if (key == "<data>") in_data = false;
      send_text(fd, reply);
      if (key == "QUIT") return;
    }
  }

  static std::string default_reply(const std::string& command) {
    if (command.starts_with("EHLO")) return "250-sink.test\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n";
    if (command == "DATA") return "354 go ahead\r\n";
    if (command == "QUIT") return "221 bye\r\n";
    return "250 ok\r\n";
  }

  static void send_text(int fd, const std::string& text) {
    (void)::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
  }

  Answer answer_;
  const bool greet_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<Received> sessions_;  // guarded by mutex_
  std::thread thread_;
};

SmtpOptions options_for(const SmtpSink& sink) {
  return SmtpOptions{.host = "127.0.0.1", .port = sink.port(), .helo = "pbx.test", .timeout = 3s};
}

std::string unstuff(const std::string& data) {
  std::string out;
  bool line_start = true;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (line_start && data[i] == '.') {
      line_start = false;
      continue;  // the stuffed dot
    }
    out += data[i];
    line_start = data[i] == '\n';
  }
  return out;
}

std::vector<std::uint8_t> base64_decode(std::string_view text) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<std::uint8_t> out;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    const std::size_t value = kAlphabet.find(c);
    if (value == std::string_view::npos) continue;  // CRLF, '='
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<std::uint8_t>((bits >> count) & 0xFF));
    }
  }
  return out;
}

// --- the reply parser --------------------------------------------------------------------------

TEST(SmtpReply, ReadsSingleAndMultiLineReplies) {
  auto one = parse_smtp_reply("220 ready\r\n250 next");
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ((*one)->code, 220);
  EXPECT_EQ((*one)->lines, std::vector<std::string>{"ready"});
  EXPECT_EQ((*one)->consumed, 11U);

  auto many = parse_smtp_reply("250-a.test\r\n250-SIZE 10\r\n250 8BITMIME\r\n");
  ASSERT_TRUE(many.ok() && many->has_value());
  EXPECT_EQ((*many)->lines, (std::vector<std::string>{"a.test", "SIZE 10", "8BITMIME"}));

  auto bare = parse_smtp_reply("221\r\n");
  ASSERT_TRUE(bare.ok() && bare->has_value());
  EXPECT_EQ((*bare)->code, 221);
}

TEST(SmtpReply, WaitsForTheRestAndRefusesGarbage) {
  for (const std::string_view partial : {"", "25", "250-a\r\n", "250-a\r\n250 b"}) {
    auto parsed = parse_smtp_reply(partial);
    ASSERT_TRUE(parsed.ok()) << partial;
    EXPECT_FALSE(parsed->has_value()) << partial;
  }
  for (const std::string_view bad :
       {"hello\r\n", "199 low\r\n", "600 high\r\n", "250-a\r\n251 b\r\n", "250_x\r\n",
        "250 a\nb\r\n", "250 a\n"}) {
    EXPECT_FALSE(parse_smtp_reply(bad).ok()) << bad;
  }
  EXPECT_FALSE(parse_smtp_reply("250 " + std::string(kMaxSmtpReplyLine, 'x')).ok());
  std::string endless;
  for (std::size_t i = 0; i <= kMaxSmtpReplyLines; ++i) endless += "250-x\r\n";
  EXPECT_FALSE(parse_smtp_reply(endless + "250 x\r\n").ok());
}

// --- MIME and dot-stuffing ---------------------------------------------------------------------

TEST(MailMessage, Base64FollowsRfc4648) {
  const auto encode = [](std::string_view text) {
    return base64_encode(
        std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  };
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg==");
  EXPECT_EQ(encode("fo"), "Zm8=");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foob"), "Zm9vYg==");
  EXPECT_EQ(encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
}

TEST(MailMessage, DotStuffingDoublesLeadingDotsAndEndsData) {
  EXPECT_EQ(dot_stuff(".a\r\nb\r\n..c\r\n"), "..a\r\nb\r\n...c\r\n.\r\n");
  EXPECT_EQ(dot_stuff("no end"), "no end\r\n.\r\n");
  EXPECT_EQ(dot_stuff("x\r\n.\r\n"), "x\r\n..\r\n.\r\n");  // a lone dot is not the end
}

TEST(MailMessage, VoicemailMailCarriesTheWavAndNoInjectedHeaders) {
  std::vector<std::uint8_t> wav(1000);
  for (std::size_t i = 0; i < wav.size(); ++i) wav[i] = static_cast<std::uint8_t>(i * 7);
  VoicemailMailer::Mail mail;
  mail.to = "alice@example.com";
  mail.message.id = 42;
  mail.message.box = "1002";
  mail.message.caller = "1001\r\nBcc: mallory@evil.test";
  mail.message.received_at = 1'765'000'000'000;
  mail.message.duration_ms = 12'400;
  const std::string text = compose_voicemail_mail({}, mail, wav, "<m1@pbx.test>");
  EXPECT_NE(
      text.find("\r\nSubject: Voicemail from 1001??Bcc: mallory@evil.test for 1002 (0:12)\r\n"),
      std::string::npos)
      << text;
  EXPECT_EQ(text.find("\r\nBcc:"), std::string::npos);
  EXPECT_NE(text.find("\r\nTo: <alice@example.com>\r\n"), std::string::npos);
  EXPECT_NE(text.find("Content-Type: audio/wav; name=\"voicemail-42.wav\"\r\n"), std::string::npos);
  const std::size_t start = text.find("Content-Disposition: attachment");
  ASSERT_NE(start, std::string::npos);
  const std::size_t body = text.find("\r\n\r\n", start) + 4;
  const std::size_t end = text.find("\r\n--", body);
  EXPECT_EQ(base64_decode(text.substr(body, end - body)), wav);
  // Lines stay within RFC 5322's 78 recommended characters in the attachment.
  EXPECT_EQ(text.substr(body, end - body).find(std::string(77, 'A')), std::string::npos);
}

// --- the SMTP dialogue -------------------------------------------------------------------------

TEST(SmtpClient, DeliversAMessageToARealSink) {
  SmtpSink sink;
  const std::string message =
      "Subject: test\r\n\r\nfirst line\r\n.starts with a dot\r\n.\r\nlast\r\n";
  auto sent = send_mail(options_for(sink), {"parley@pbx.test", "bob@example.com"}, message);
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  const auto sessions = sink.sessions();
  ASSERT_EQ(sessions.size(), 1U);
  EXPECT_EQ(sessions[0].commands,
            (std::vector<std::string>{"EHLO pbx.test", "MAIL FROM:<parley@pbx.test>",
                                      "RCPT TO:<bob@example.com>", "DATA", "QUIT"}));
  EXPECT_EQ(unstuff(sessions[0].data) + "\r\n", message);
}

TEST(SmtpClient, FallsBackToHeloWhenEhloIsRefused) {
  SmtpSink sink([](int, const std::string& command) {
    return command.starts_with("EHLO") ? std::string("502 what\r\n") : std::string();
  });
  ASSERT_TRUE(send_mail(options_for(sink), {"a@b.test", "c@d.test"}, "x\r\n").ok());
  const auto sessions = sink.sessions();
  ASSERT_EQ(sessions.size(), 1U);
  ASSERT_GE(sessions[0].commands.size(), 2U);
  EXPECT_EQ(sessions[0].commands[1], "HELO pbx.test");
}

TEST(SmtpClient, RefusalsCarryTheReplyCode) {
  SmtpSink sink([](int, const std::string& command) {
    return command.starts_with("RCPT") ? std::string("550 5.1.1 no such user\r\n") : std::string();
  });
  auto sent = send_mail(options_for(sink), {"a@b.test", "nobody@d.test"}, "x\r\n");
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code, 550);
  EXPECT_NE(sent.error().message.find("no such user"), std::string::npos);
}

TEST(SmtpClient, SilentServerTimesOutAndClosedPortFails) {
  {
    SmtpSink sink({}, /*greet=*/false);
    SmtpOptions options = options_for(sink);
    options.timeout = 300ms;
    const auto started = std::chrono::steady_clock::now();
    auto sent = send_mail(options, {"a@b.test", "c@d.test"}, "x\r\n");
    ASSERT_FALSE(sent.ok());
    EXPECT_EQ(sent.error().code, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  }
  std::uint16_t closed_port = 0;
  {
    SmtpSink sink;
    closed_port = sink.port();
  }
  auto refused = send_mail({.host = "127.0.0.1", .port = closed_port, .timeout = 2s},
                           {"a@b.test", "c@d.test"}, "x\r\n");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, 0);
}

// The sink's first session refuses RCPT with 451 (a transient failure).
SmtpSink::Answer refuse_first_rcpt() {
  return [](int connection, const std::string& command) {
    return connection == 0 && command.starts_with("RCPT") ? std::string("451 try later\r\n")
                                                          : std::string();
  };
}

// A small file standing in for a message's WAV (the caller removes it).
std::filesystem::path fake_wav(const std::string& name) {
  const std::filesystem::path wav = std::filesystem::temp_directory_path() /
                                    ("parley-" + name + "-" + std::to_string(::getpid()) + ".wav");
  std::ofstream file(wav, std::ios::binary);
  file << "RIFF....WAVEfmt fake";
  return wav;
}

VoicemailMailerOptions mailer_options(const SmtpSink& sink, int attempts,
                                      std::chrono::milliseconds first_retry) {
  VoicemailMailerOptions options;
  options.smtp = options_for(sink);
  options.from = "parley@pbx.test";
  options.attempts = attempts;
  options.first_retry = first_retry;
  return options;
}

TEST(VoicemailMailer, RetriesATransientFailureThenDelivers) {
  SmtpSink sink(refuse_first_rcpt());
  const std::filesystem::path wav = fake_wav("mailer");
  const VoicemailMailerOptions options = mailer_options(sink, 3, 50ms);
  {
    VoicemailMailer mailer(options);
    VoicemailMailer::Mail mail;
    mail.to = "alice@example.com";
    mail.message.id = 7;
    mail.message.box = "1002";
    mail.message.caller = "1001";
    mail.message.path = wav.string();
    ASSERT_TRUE(mailer.enqueue(mail));
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (mailer.sent() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(mailer.sent(), 1U);
    EXPECT_EQ(mailer.given_up(), 0U);
  }
  const auto sessions = sink.sessions();
  ASSERT_EQ(sessions.size(), 2U);
  EXPECT_TRUE(sessions[0].data.empty());
  EXPECT_NE(sessions[1].data.find("UklGRi4uLi5XQVZFZm10IGZha2U="), std::string::npos);
  std::filesystem::remove(wav);
}

// The mailer tells its Outbox after every try (decision 0040): a refusal is rescheduled with the
// attempt count and the back-off as a wall-clock time, delivery is "done"; a mail handed back
// from the outbox with attempts made and a future next attempt waits for it and counts on.
class RecordingOutbox final : public VoicemailMailer::Outbox {
 public:
  struct Reschedule {
    store::VoicemailId message;
    int attempts;
    store::UnixMillis next_attempt;
  };
  void on_mail_rescheduled(store::VoicemailId message, int attempts,
                           store::UnixMillis next_attempt) override {
    std::lock_guard lock(mutex_);
    rescheduled_.push_back({message, attempts, next_attempt});
  }
  void on_mail_done(store::VoicemailId message) override {
    std::lock_guard lock(mutex_);
    done_.push_back(message);
  }
  std::vector<Reschedule> rescheduled() {
    std::lock_guard lock(mutex_);
    return rescheduled_;
  }
  std::vector<store::VoicemailId> done() {
    std::lock_guard lock(mutex_);
    return done_;
  }

 private:
  std::mutex mutex_;
  std::vector<Reschedule> rescheduled_;
  std::vector<store::VoicemailId> done_;
};

store::UnixMillis wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(VoicemailMailer, TellsItsOutboxOfEveryTryAndHonoursAKeptBackOff) {
  SmtpSink sink(refuse_first_rcpt());
  const std::filesystem::path wav = fake_wav("outbox");
  const VoicemailMailerOptions options = mailer_options(sink, 5, 300ms);
  RecordingOutbox outbox;
  {
    VoicemailMailer mailer(options, &outbox);
    VoicemailMailer::Mail mail;
    mail.to = "alice@example.com";
    mail.message.id = 9;
    mail.message.path = wav.string();
    mail.attempts = 2;  // from an earlier run: this try is the third
    const store::UnixMillis queued_at = wall_now_ms();
    mail.next_attempt = queued_at + 200;  // not before then
    ASSERT_TRUE(mailer.enqueue(mail));
    std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(sink.sessions().empty()) << "tried before its next attempt";
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (mailer.sent() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(mailer.sent(), 1U);
    const auto rescheduled = outbox.rescheduled();
    ASSERT_EQ(rescheduled.size(), 1U);
    EXPECT_EQ(rescheduled[0].message, 9);
    EXPECT_EQ(rescheduled[0].attempts, 3);
    // Third try: the back-off has doubled twice (4 x 300 ms) from when it failed.
    EXPECT_GE(rescheduled[0].next_attempt, queued_at + 200 + 1100);
    EXPECT_LE(rescheduled[0].next_attempt, wall_now_ms() + 100);
    EXPECT_EQ(outbox.done(), std::vector<store::VoicemailId>{9});
  }
  EXPECT_EQ(sink.sessions().size(), 2U);
  std::filesystem::remove(wav);
}

}  // namespace
}  // namespace parley::app
