// Chat fan-out load: many /chat WebSocket clients in one channel, one thread (Boost.Beast over
// TLS, the same library the server uses), driven by bench/chat/run.py.
//
// Each line of --sessions is "extension cookie" (a web session made for the benchmark). The
// first client connects alone and creates channel "bench" with every other extension as a
// member (so the 50 KB "conversation" event goes to nobody yet); then the others connect,
// --connect-window at a time, and each must get its welcome. Then, per rate of --rates (posts
// per second), for --seconds: a 1 ms timer keeps the posts on schedule, each post from the next
// client in turn (so no user meets the per-user flood throttle), its body "t=<steady ns>". Every
// other member's session gets the "message" event; its latency is receive time minus the time
// in the body (one process, one clock). After the step, --drain seconds for the last events.
//
// Per step it prints one JSON object: posts sent and acknowledged, refusals by code, deliveries
// received and expected (acknowledged posts x (members - 1)), delivery latency percentiles,
// post-to-acknowledgement latency, and the CPU seconds of the server process (--server-pid,
// /proc/PID/stat) and of this process over the step and its drain.

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Request ids below this are the channel set-up's (create_channel, add_member).
constexpr std::int64_t kFirstPostId = 1'000'000;
// ChatService's create_channel takes at most 500 members; the rest join by add_member.
constexpr std::size_t kCreateMembers = 400;

struct Config {
  std::string host = "127.0.0.1";
  std::string port;
  std::string sessions_file;
  std::vector<double> rates{100};
  double seconds = 10;
  double drain = 2;
  int connect_window = 50;
  double connect_timeout = 120;
  long server_pid = 0;
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

double process_cpu_seconds(long pid) {
  if (pid <= 0) return 0;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14) utime = std::stod(field);
    if (index == 15) {
      stime = std::stod(field);
      break;
    }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The counters of one step, shared by every client.
struct Tally {
  std::int64_t posts_sent = 0;
  std::int64_t posts_acked = 0;
  std::int64_t deliveries = 0;
  std::map<int, std::int64_t> refusals;  // error code -> count
  std::vector<std::uint32_t> delivery_us;
  std::vector<std::uint32_t> ack_us;
  std::int64_t other_events = 0;
};

// The integer after `key` in `text`, or -1.
std::int64_t number_after(std::string_view text, std::string_view key) {
  const std::size_t at = text.find(key);
  if (at == std::string_view::npos) return -1;
  std::int64_t value = -1;
  const char* begin = text.data() + at + key.size();
  std::from_chars(begin, text.data() + text.size(), value);
  return value;
}

class Client : public std::enable_shared_from_this<Client> {
 public:
  using Ws = websocket::stream<asio::ssl::stream<tcp::socket>>;

  Client(asio::io_context& io, asio::ssl::context& tls, std::string extension, std::string cookie,
         Tally*& tally)
      : ws_(io, tls), extension_(std::move(extension)), cookie_(std::move(cookie)), tally_(tally) {}

  const std::string& extension() const { return extension_; }
  bool welcomed() const { return welcomed_; }
  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }
  std::int64_t channel() const { return channel_; }
  // create_channel and add_member replies so far.
  int conversation_replies() const { return conversation_replies_; }

  void start(const tcp::resolver::results_type& endpoints, const std::string& host) {
    auto self = shared_from_this();
    asio::async_connect(beast::get_lowest_layer(ws_), endpoints,
                        [self, host](beast::error_code error, const tcp::endpoint&) {
                          if (error) return self->fail("connect", error);
                          self->ws_.next_layer().async_handshake(asio::ssl::stream_base::client,
                                                                 [self, host](beast::error_code e) {
                                                                   if (e)
                                                                     return self->fail("tls", e);
                                                                   self->upgrade(host);
                                                                 });
                        });
  }

  void send(std::string text) {
    queue_.push_back(std::move(text));
    if (queue_.size() == 1) write_next();
  }

  // Posts one timestamped message to `conversation`.
  void post(std::int64_t conversation, std::int64_t sequence) {
    const std::int64_t sent = now_ns();
    pending_posts_.emplace_back(sequence, sent);
    send("{\"type\":\"post\",\"id\":" + std::to_string(sequence) + ",\"conversation\":" +
         std::to_string(conversation) + ",\"body\":\"t=" + std::to_string(sent) + "\"}");
  }

 private:
  void upgrade(const std::string& host) {
    ws_.set_option(
        websocket::stream_base::decorator([cookie = cookie_](websocket::request_type& request) {
          request.set(beast::http::field::cookie, "parley_session=" + cookie);
        }));
    auto self = shared_from_this();
    ws_.async_handshake(host, "/chat", [self](beast::error_code error) {
      if (error) return self->fail("upgrade", error);
      self->read();
    });
  }

  void read() {
    auto self = shared_from_this();
    ws_.async_read(buffer_, [self](beast::error_code error, std::size_t) {
      if (error) return self->fail("read", error);
      const auto data = self->buffer_.cdata();
      self->received(std::string_view(static_cast<const char*>(data.data()), data.size()));
      self->buffer_.consume(self->buffer_.size());
      self->read();
    });
  }

  void received(std::string_view text) {
    const std::int64_t at = now_ns();
    // nlohmann::json writes keys in order, so "type" comes last in every server object.
    if (text.ends_with(R"("type":"message"})")) {
      const std::int64_t sent = number_after(text, R"("body":"t=)");
      if (tally_ && sent > 0) {
        ++tally_->deliveries;
        tally_->delivery_us.push_back(static_cast<std::uint32_t>((at - sent) / 1000));
      }
      return;
    }
    if (text.ends_with(R"("type":"ok"})") ||
        text.find(R"("type":"error")") != std::string_view::npos) {
      const bool ok = text.ends_with(R"("type":"ok"})");
      // Keys are sorted: the create_channel reply starts with its conversation, whose "id" is
      // the first; every other reply starts with the request id (or an error's code).
      if (ok && text.starts_with(R"({"conversation":)")) {
        channel_ = number_after(text, R"("id":)");
        ++conversation_replies_;
        return;
      }
      const std::int64_t id = number_after(text, R"("id":)");
      if (id < kFirstPostId) {
        failure_ = "channel set-up: " + std::string(text.substr(0, 300));
        return;
      }
      for (auto pending = pending_posts_.begin(); pending != pending_posts_.end(); ++pending) {
        if (pending->first != id) continue;
        if (tally_) {
          if (ok) {
            ++tally_->posts_acked;
            tally_->ack_us.push_back(static_cast<std::uint32_t>((at - pending->second) / 1000));
          } else {
            ++tally_->refusals[static_cast<int>(number_after(text, R"("code":)"))];
          }
        }
        pending_posts_.erase(pending);
        break;
      }
      return;
    }
    if (text.ends_with(R"("type":"welcome"})")) {
      welcomed_ = true;
      return;
    }
    if (text.find(R"("type":"error")") != std::string_view::npos) {
      failure_ = std::string(text.substr(0, 300));
      return;
    }
    if (tally_) ++tally_->other_events;  // presence, conversation
  }

  void write_next() {
    auto self = shared_from_this();
    ws_.async_write(asio::buffer(queue_.front()), [self](beast::error_code error, std::size_t) {
      if (error) return self->fail("write", error);
      self->queue_.pop_front();
      if (!self->queue_.empty()) self->write_next();
    });
  }

  void fail(const char* what, const beast::error_code& error) {
    if (failure_.empty()) failure_ = std::string(what) + ": " + error.message();
  }

  Ws ws_;
  beast::flat_buffer buffer_;
  std::string extension_;
  std::string cookie_;
  Tally*& tally_;
  std::deque<std::string> queue_;
  std::deque<std::pair<std::int64_t, std::int64_t>> pending_posts_;  // id, sent ns
  bool welcomed_ = false;
  std::string failure_;
  std::int64_t channel_ = 0;
  int conversation_replies_ = 0;
};

double percentile(std::vector<std::uint32_t>& values, double fraction) {
  if (values.empty()) return -1;
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index),
                   values.end());
  return values[index] / 1000.0;
}

std::vector<double> parse_rates(const std::string& text) {
  std::vector<double> rates;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) rates.push_back(std::stod(item));
  return rates;
}

Config parse_args(int argc, char** argv) {
  Config config;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--host")
      config.host = value;
    else if (flag == "--port")
      config.port = value;
    else if (flag == "--sessions")
      config.sessions_file = value;
    else if (flag == "--rates")
      config.rates = parse_rates(value);
    else if (flag == "--seconds")
      config.seconds = std::stod(value);
    else if (flag == "--drain")
      config.drain = std::stod(value);
    else if (flag == "--connect-window")
      config.connect_window = std::stoi(value);
    else if (flag == "--connect-timeout")
      config.connect_timeout = std::stod(value);
    else if (flag == "--server-pid")
      config.server_pid = std::stol(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      std::exit(2);
    }
  }
  if (config.port.empty() || config.sessions_file.empty()) {
    std::fprintf(stderr,
                 "usage: chat_fanout --port P --sessions FILE [--rates 50,100] [--seconds S] "
                 "[--drain S] [--server-pid PID]\n");
    std::exit(2);
  }
  return config;
}

// Runs the loop until `done` or `limit` passes; false on timeout.
template <typename Done>
bool run_until(asio::io_context& io, Done done, double limit_seconds) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(limit_seconds);
  while (!done()) {
    if (Clock::now() > deadline) return false;
    io.run_for(std::chrono::milliseconds(5));
    if (io.stopped()) io.restart();
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const Config config = parse_args(argc, argv);
  std::vector<std::pair<std::string, std::string>> sessions;
  {
    std::ifstream file(config.sessions_file);
    for (std::string extension, cookie; file >> extension >> cookie;) {
      sessions.emplace_back(extension, cookie);
    }
  }
  if (sessions.size() < 2) {
    std::fprintf(stderr, "need at least two sessions in %s\n", config.sessions_file.c_str());
    return 2;
  }

  asio::io_context io(1);
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_verify_mode(asio::ssl::verify_none);  // the server's self-signed benchmark certificate
  tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(config.host, config.port);
  const std::string host = config.host + ":" + config.port;
  Tally* tally = nullptr;

  std::vector<std::shared_ptr<Client>> clients;
  for (const auto& [extension, cookie] : sessions) {
    clients.push_back(std::make_shared<Client>(io, tls, extension, cookie, tally));
  }
  const auto any_failed = [&] {
    for (const auto& client : clients) {
      if (client->failed()) {
        std::fprintf(stderr, "client %s: %s\n", client->extension().c_str(),
                     client->failure().c_str());
        return true;
      }
    }
    return false;
  };

  // The channel first, before anyone else listens.
  Client& owner = *clients.front();
  owner.start(endpoints, host);
  if (!run_until(
          io, [&] { return owner.welcomed() || owner.failed(); }, 15) ||
      any_failed()) {
    std::fprintf(stderr, "the first client got no welcome\n");
    return 1;
  }
  {
    std::string members;
    const std::size_t in_create = std::min(clients.size(), kCreateMembers + 1);
    for (std::size_t i = 1; i < in_create; ++i) {
      members += (i > 1 ? ",\"" : "\"") + clients[i]->extension() + "\"";
    }
    owner.send(R"({"type":"create_channel","id":0,"name":"bench","members":[)" + members + "]}");
    if (!run_until(
            io, [&] { return owner.channel() != 0 || owner.failed(); }, 15) ||
        owner.channel() <= 0) {
      std::fprintf(stderr, "create_channel failed: %s\n", owner.failure().c_str());
      return 1;
    }
    for (std::size_t i = in_create; i < clients.size(); ++i) {
      owner.send(R"({"type":"add_member","id":)" + std::to_string(i) + R"(,"conversation":)" +
                 std::to_string(owner.channel()) + R"(,"extension":")" + clients[i]->extension() +
                 "\"}");
    }
    const int replies = 1 + static_cast<int>(clients.size() - in_create);
    if (!run_until(
            io, [&] { return owner.conversation_replies() >= replies || owner.failed(); }, 60) ||
        owner.failed()) {
      std::fprintf(stderr, "add_member failed: %s\n", owner.failure().c_str());
      return 1;
    }
  }
  const std::int64_t channel = owner.channel();

  const auto connect_started = Clock::now();
  const double server_cpu_connect = process_cpu_seconds(config.server_pid);
  std::size_t next = 1;
  const auto welcomed_count = [&] {
    std::size_t count = 0;
    for (const auto& client : clients) count += client->welcomed() ? 1 : 0;
    return count;
  };
  const bool connected = run_until(
      io,
      [&] {
        const std::size_t welcomed = welcomed_count();
        while (next < clients.size() &&
               next - welcomed < static_cast<std::size_t>(config.connect_window)) {
          clients[next++]->start(endpoints, host);
        }
        return welcomed == clients.size() || any_failed();
      },
      config.connect_timeout);
  if (!connected || any_failed()) {
    std::fprintf(stderr, "only %zu of %zu clients got their welcome\n", welcomed_count(),
                 clients.size());
    return 1;
  }
  const double connect_seconds =
      std::chrono::duration<double>(Clock::now() - connect_started).count();
  std::printf(
      "{\"event\":\"connected\",\"clients\":%zu,\"channel\":%lld,\"seconds\":%.2f,"
      "\"server_cpu_s\":%.2f}\n",
      clients.size(), static_cast<long long>(channel), connect_seconds,
      process_cpu_seconds(config.server_pid) - server_cpu_connect);
  std::fflush(stdout);
  // Let the presence events of the last sign-ins settle.
  run_until(
      io, [] { return false; }, 1.0);

  std::int64_t sequence = kFirstPostId;
  std::size_t sender = 0;
  for (const double rate : config.rates) {
    Tally step;
    step.delivery_us.reserve(static_cast<std::size_t>(rate * config.seconds * clients.size()));
    tally = &step;
    const double server_before = process_cpu_seconds(config.server_pid);
    const double own_before = own_cpu_seconds();
    const auto started = Clock::now();
    asio::steady_timer timer(io);
    bool sending = true;
    std::function<void()> tick = [&] {
      const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
      if (elapsed >= config.seconds) {
        sending = false;
        return;
      }
      const auto due = static_cast<std::int64_t>(elapsed * rate) + 1;
      while (step.posts_sent < due) {
        clients[sender]->post(channel, sequence++);
        sender = (sender + 1) % clients.size();
        ++step.posts_sent;
      }
      timer.expires_after(std::chrono::milliseconds(1));
      timer.async_wait([&](const beast::error_code&) { tick(); });
    };
    tick();
    const double limit = config.seconds + config.drain + 30;
    const std::int64_t members = static_cast<std::int64_t>(clients.size());
    run_until(
        io,
        [&] {
          if (sending) return false;
          const bool all_in = step.posts_acked +
                                      [&] {
                                        std::int64_t refused = 0;
                                        for (const auto& [code, count] : step.refusals)
                                          refused += count;
                                        return refused;
                                      }() >=
                                  step.posts_sent &&
                              step.deliveries >= step.posts_acked * (members - 1);
          const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
          return all_in || elapsed >= config.seconds + config.drain;
        },
        limit);
    const double wall = std::chrono::duration<double>(Clock::now() - started).count();
    const double server_cpu = process_cpu_seconds(config.server_pid) - server_before;
    const double own_cpu = own_cpu_seconds() - own_before;
    tally = nullptr;
    std::string refusals;
    for (const auto& [code, count] : step.refusals) {
      refusals +=
          (refusals.empty() ? "\"" : ",\"") + std::to_string(code) + "\":" + std::to_string(count);
    }
    std::printf(
        "{\"event\":\"step\",\"rate\":%.1f,\"seconds\":%.1f,\"wall_s\":%.3f,\"members\":%lld,"
        "\"posts_sent\":%lld,\"posts_acked\":%lld,\"refusals\":{%s},\"deliveries\":%lld,"
        "\"expected\":%lld,\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
        "\"ack_ms\":{\"p50\":%.3f,\"p99\":%.3f},\"server_cpu_s\":%.3f,\"generator_cpu_s\":%.3f,"
        "\"other_events\":%lld}\n",
        rate, config.seconds, wall, static_cast<long long>(members),
        static_cast<long long>(step.posts_sent), static_cast<long long>(step.posts_acked),
        refusals.c_str(), static_cast<long long>(step.deliveries),
        static_cast<long long>(step.posts_acked * (members - 1)), percentile(step.delivery_us, 0.5),
        percentile(step.delivery_us, 0.9), percentile(step.delivery_us, 0.99),
        percentile(step.delivery_us, 1.0), percentile(step.ack_us, 0.5),
        percentile(step.ack_us, 0.99), server_cpu, own_cpu,
        static_cast<long long>(step.other_events));
    std::fflush(stdout);
    if (any_failed()) return 1;
  }
  return 0;
}
