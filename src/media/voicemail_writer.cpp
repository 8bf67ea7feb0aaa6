#include "media/voicemail_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <system_error>
#include <utility>

namespace parley::media {

namespace {

constexpr std::size_t kHeaderSize = 44;
constexpr int kMaxSuffix = 100;
constexpr std::string_view kPartSuffix = ".wav.part";
constexpr std::string_view kMetaSuffix = ".meta";

// Owns a file descriptor; closes it once.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

void put_u16(std::uint8_t* at, std::uint32_t value) {
  at[0] = static_cast<std::uint8_t>(value);
  at[1] = static_cast<std::uint8_t>(value >> 8);
}
void put_u32(std::uint8_t* at, std::uint32_t value) {
  put_u16(at, value & 0xFFFF);
  put_u16(at + 2, value >> 16);
}

// The canonical 44-byte header of 16-bit mono PCM with `data` bytes of samples.
std::array<std::uint8_t, kHeaderSize> mono_header(int sample_rate, std::uint32_t data) {
  std::array<std::uint8_t, kHeaderSize> h{};
  const auto rate = static_cast<std::uint32_t>(sample_rate);
  std::memcpy(h.data(), "RIFF", 4);
  put_u32(h.data() + 4, data + 36);
  std::memcpy(h.data() + 8, "WAVEfmt ", 8);
  put_u32(h.data() + 16, 16);
  put_u16(h.data() + 20, 1);  // PCM
  put_u16(h.data() + 22, 1);  // mono
  put_u32(h.data() + 24, rate);
  put_u32(h.data() + 28, rate * 2);
  put_u16(h.data() + 32, 2);
  put_u16(h.data() + 34, 16);
  std::memcpy(h.data() + 36, "data", 4);
  put_u32(h.data() + 40, data);
  return h;
}

bool write_all(int fd, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string errno_text() {
  return std::strerror(errno);
}

std::error_code make_private_directories(const std::filesystem::path& path) {
  std::filesystem::path built;
  for (const auto& part : path) {
    built /= part;
    if (::mkdir(built.c_str(), 0700) != 0 && errno != EEXIST) {
      return {errno, std::generic_category()};
    }
  }
  return {};
}

bool fsync_path(const std::filesystem::path& path, int flags) {
  const Fd fd(::open(path.c_str(), flags | O_CLOEXEC));
  return fd.valid() && ::fsync(fd.get()) == 0;
}

// A box number or tenant id as a folder name: digits only (the store's rule for numbers), so
// nothing a caller sends can reach outside the voicemail folder.
bool digits_only(std::string_view text) {
  return !text.empty() && text.size() <= 32 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string one_line(std::string_view text) {
  std::string line(text.substr(0, 512));
  std::replace_if(
      line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r'; }, '_');
  return line;
}

struct Meta {
  VoicemailDepositInfo info;
  int sample_rate = 0;
  std::int64_t received_at_ms = 0;
};

std::string meta_text(const Meta& meta) {
  return "tenant_id=" + std::to_string(meta.info.tenant_id) + "\nbox=" + meta.info.box +
         "\ncaller=" + one_line(meta.info.caller) +
         "\nsample_rate=" + std::to_string(meta.sample_rate) +
         "\nreceived_at_ms=" + std::to_string(meta.received_at_ms) + "\n";
}

template <typename Number>
bool parse_number(std::string_view text, Number& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

std::optional<Meta> read_meta(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  Meta meta;
  std::string line;
  bool numbers_ok = true;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string_view key = std::string_view(line).substr(0, eq);
    const std::string_view value = std::string_view(line).substr(eq + 1);
    if (key == "tenant_id") numbers_ok &= parse_number(value, meta.info.tenant_id);
    if (key == "box") meta.info.box = value;
    if (key == "caller") meta.info.caller = value;
    if (key == "sample_rate") numbers_ok &= parse_number(value, meta.sample_rate);
    if (key == "received_at_ms") numbers_ok &= parse_number(value, meta.received_at_ms);
  }
  // A damaged meta file is left for a person to look at.
  if (!numbers_ok || meta.info.tenant_id <= 0 || !digits_only(meta.info.box) ||
      (meta.sample_rate != 8000 && meta.sample_rate != 16000)) {
    return std::nullopt;
  }
  return meta;
}

// `<name>.wav.part` → `<name>`.
std::filesystem::path stem_of(const std::filesystem::path& meta) {
  std::string text = meta.string();
  text.resize(text.size() - kMetaSuffix.size());
  return text;
}

std::filesystem::path with(const std::filesystem::path& stem, std::string_view suffix) {
  return stem.string() + std::string(suffix);
}

std::uint64_t duration_ms_of(std::uint64_t data_bytes, int sample_rate) {
  return data_bytes / 2 * 1000 / static_cast<std::uint64_t>(sample_rate);
}

// Makes a `.wav.part` whole: header sizes from the file's length (a trailing odd byte cut),
// fsync. Returns the number of data bytes.
Result<std::uint64_t> seal(const std::filesystem::path& part, int sample_rate) {
  const Fd fd(::open(part.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return make_error(errno, "open " + part.string() + ": " + errno_text());
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return make_error(errno, "stat: " + errno_text());
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size < kHeaderSize) return std::uint64_t{0};
  std::uint64_t data = (size - kHeaderSize) & ~std::uint64_t{1};
  data = std::min<std::uint64_t>(data, std::numeric_limits<std::uint32_t>::max() - 36);
  if (::ftruncate(fd.get(), static_cast<off_t>(kHeaderSize + data)) != 0) {
    return make_error(errno, "truncate " + part.string() + ": " + errno_text());
  }
  const auto header = mono_header(sample_rate, static_cast<std::uint32_t>(data));
  if (::pwrite(fd.get(), header.data(), header.size(), 0) != static_cast<ssize_t>(header.size())) {
    return make_error(errno, "write " + part.string() + ": " + errno_text());
  }
  if (::fsync(fd.get()) != 0)
    return make_error(errno, "fsync " + part.string() + ": " + errno_text());
  return data;
}

}  // namespace

VoicemailDeposit::VoicemailDeposit(VoicemailDepositInfo info, int sample_rate,
                                   std::int64_t received_at_ms, std::size_t capacity_samples)
    : info_(std::move(info)), sample_rate_(sample_rate), received_at_ms_(received_at_ms) {
  pending_.reserve(capacity_samples);
}

void VoicemailDeposit::append(std::span<const std::int16_t> pcm) {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  const std::size_t room = pending_.capacity() - pending_.size();
  const std::size_t n = std::min(room, pcm.size());
  pending_.insert(pending_.end(), pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(n));
  dropped_ += pcm.size() - n;
}

void VoicemailDeposit::finish() {
  std::lock_guard lock(mutex_);
  finished_ = true;
}

std::uint64_t VoicemailDeposit::dropped_samples() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

bool VoicemailDeposit::take(std::vector<std::int16_t>& into) {
  into.clear();
  std::lock_guard lock(mutex_);
  if (into.capacity() < pending_.capacity()) into.reserve(pending_.capacity());
  pending_.swap(into);
  return finished_;
}

struct VoicemailWriter::Active {
  explicit Active(std::shared_ptr<VoicemailDeposit> message) : deposit(std::move(message)) {}

  std::shared_ptr<VoicemailDeposit> deposit;
  std::filesystem::path stem;  // <folder>/<name>, without suffix
  Fd file{-1};
  std::uint64_t data_bytes = 0;
  bool failed = false;
  std::vector<std::uint8_t> bytes;
};

VoicemailWriter::VoicemailWriter(VoicemailWriterOptions options, Listener& listener)
    : options_(std::move(options)), listener_(listener), thread_([this] { run(); }) {}

VoicemailWriter::~VoicemailWriter() {
  queue_.stop();
  thread_.join();
}

std::shared_ptr<VoicemailDeposit> VoicemailWriter::start(VoicemailDepositInfo info,
                                                         int sample_rate) {
  using namespace std::chrono;
  const auto now_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  // Two seconds of room: the writer drains every tick (100 ms), so only a stalled disk drops.
  auto deposit = std::make_shared<VoicemailDeposit>(std::move(info), sample_rate, now_ms,
                                                    static_cast<std::size_t>(sample_rate) * 2);
  if (!queue_.add(std::make_unique<Active>(deposit))) deposit->finish();  // shutting down
  return deposit;
}

std::size_t VoicemailWriter::active() const {
  return queue_.active();
}

std::uint64_t VoicemailWriter::written() const {
  return written_.load();
}

void VoicemailWriter::run() {
  recover();
  while (queue_.pass(options_.tick, [this](Active& message, bool stopping) {
    if (stopping) message.deposit->finish();  // shutdown: keep what the caller said so far
    const bool final = message.deposit->take(samples_);
    drain(message, final);
    if (final) finalise(message);
    return final;
  })) {
  }
}

// The message cannot be written: the call hears it (VoicemailDeposit::failed) and finalise()
// deletes what was written.
void VoicemailWriter::fail(Active& message) {
  message.failed = true;
  message.deposit->mark_failed();
}

void VoicemailWriter::drain(Active& message, bool final) {
  (void) final;
  if (samples_.empty() || message.failed) return;
  if (!message.file.valid() && !open_file(message)) return;
  message.bytes.resize(samples_.size() * 2);
  for (std::size_t i = 0; i < samples_.size(); ++i) {
    put_u16(message.bytes.data() + 2 * i, static_cast<std::uint16_t>(samples_[i]));
  }
  // Straight to the kernel (no stdio buffer): a killed process leaves every tick's audio.
  if (!write_all(message.file.get(), message.bytes.data(), message.bytes.size())) {
    spdlog::error("voicemail {}: write: {}", message.stem.string(), errno_text());
    fail(message);
    return;
  }
  message.data_bytes += message.bytes.size();
}

bool VoicemailWriter::open_file(Active& message) {
  const VoicemailDepositInfo& info = message.deposit->info();
  const std::string tenant = std::to_string(info.tenant_id);
  if (info.tenant_id <= 0 || !digits_only(info.box)) {
    spdlog::error("voicemail for box '{}' of tenant {}: not a box name", info.box, tenant);
    fail(message);
    return false;
  }
  const std::filesystem::path folder = options_.directory / tenant / info.box;
  if (const auto error = make_private_directories(folder)) {
    spdlog::error("voicemail: cannot create {}: {}", folder.string(), error.message());
    fail(message);
    return false;
  }
  const std::string base = std::to_string(message.deposit->received_at_ms());
  std::filesystem::path claimed;
  for (int suffix = 1; suffix <= kMaxSuffix; ++suffix) {
    const std::filesystem::path stem = folder / (base + "-" + std::to_string(suffix));
    // The meta file claims the name (O_EXCL) and is durable before any audio is written.
    const Fd meta(
        ::open(with(stem, kMetaSuffix).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!meta.valid()) {
      if (errno == EEXIST) continue;
      break;
    }
    claimed = stem;  // from here a failure (a full disk) removes what it made
    const std::string text =
        meta_text({info, message.deposit->sample_rate(), message.deposit->received_at_ms()});
    if (!write_all(meta.get(), reinterpret_cast<const std::uint8_t*>(text.data()), text.size()) ||
        ::fsync(meta.get()) != 0) {
      spdlog::error("voicemail {}: meta: {}", stem.string(), errno_text());
      break;
    }
    Fd part(
        ::open(with(stem, kPartSuffix).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!part.valid()) {
      spdlog::error("voicemail {}: {}", stem.string(), errno_text());
      break;
    }
    const auto header = mono_header(message.deposit->sample_rate(), 0);
    if (!write_all(part.get(), header.data(), header.size())) {
      spdlog::error("voicemail {}: {}", stem.string(), errno_text());
      break;
    }
    (void)fsync_path(folder, O_RDONLY | O_DIRECTORY);
    message.stem = stem;
    message.file = std::move(part);
    return true;
  }
  if (!claimed.empty()) {
    std::error_code ignored;
    std::filesystem::remove(with(claimed, kPartSuffix), ignored);
    std::filesystem::remove(with(claimed, kMetaSuffix), ignored);
  }
  spdlog::error("voicemail: cannot create a message in {}", folder.string());
  fail(message);
  return false;
}

void VoicemailWriter::finalise(Active& message) {
  if (message.stem.empty()) return;  // nothing was ever written
  message.file.reset();
  const std::filesystem::path part = with(message.stem, kPartSuffix);
  const std::filesystem::path meta = with(message.stem, kMetaSuffix);
  const std::filesystem::path wav = with(message.stem, ".wav");
  std::error_code ignored;
  const int rate = message.deposit->sample_rate();
  if (message.failed ||
      duration_ms_of(message.data_bytes, rate) <
          static_cast<std::uint64_t>(
              std::chrono::duration_cast<std::chrono::milliseconds>(options_.min_duration)
                  .count())) {
    // Too short to be a message (or unwritable): nothing the caller could expect to be kept.
    std::filesystem::remove(part, ignored);
    std::filesystem::remove(meta, ignored);
    spdlog::info("voicemail for box {} dropped ({} ms{})", message.deposit->info().box,
                 duration_ms_of(message.data_bytes, rate),
                 message.failed ? ", write failed: partial file removed" : "");
    return;
  }
  auto sealed = seal(part, rate);
  if (!sealed.ok()) {
    spdlog::error("voicemail {}: {}", part.string(), sealed.error().message);
    return;  // the .meta stays: the next start tries again
  }
  if (::rename(part.c_str(), wav.c_str()) != 0) {
    spdlog::error("voicemail {}: rename: {}", part.string(), errno_text());
    return;
  }
  (void)fsync_path(message.stem.parent_path(), O_RDONLY | O_DIRECTORY);
  WrittenVoicemail written;
  written.info = message.deposit->info();
  written.path = wav.string();
  written.duration_ms = duration_ms_of(*sealed, rate);
  written.size_bytes = *sealed + kHeaderSize;
  written.received_at_ms = message.deposit->received_at_ms();
  publish(meta, written);
}

void VoicemailWriter::publish(const std::filesystem::path& meta, const WrittenVoicemail& message) {
  auto indexed = listener_.on_voicemail_written(message);
  if (!indexed.ok()) {
    spdlog::error("voicemail {} written but not indexed (retried at the next start): {}",
                  message.path, indexed.error().message);
    return;
  }
  std::error_code ignored;
  std::filesystem::remove(meta, ignored);
  spdlog::info("voicemail for box {} from {} written: {} ({} ms)", message.info.box,
               message.info.caller, message.path, message.duration_ms);
  ++written_;
}

void VoicemailWriter::recover() {
  std::error_code error;
  if (!std::filesystem::exists(options_.directory, error)) return;
  std::vector<std::filesystem::path> metas;
  // <directory>/<tenant>/<box>/<name>.meta: two levels of folders, nothing deeper.
  for (const auto& tenant : std::filesystem::directory_iterator(options_.directory, error)) {
    if (!tenant.is_directory(error)) continue;
    for (const auto& box : std::filesystem::directory_iterator(tenant.path(), error)) {
      if (!box.is_directory(error)) continue;
      for (const auto& file : std::filesystem::directory_iterator(box.path(), error)) {
        if (file.path().string().ends_with(kMetaSuffix)) metas.push_back(file.path());
      }
    }
  }
  std::sort(metas.begin(), metas.end());
  for (const auto& meta_path : metas) {
    const auto meta = read_meta(meta_path);
    if (!meta) {
      spdlog::warn("voicemail: cannot read {}; left alone", meta_path.string());
      continue;
    }
    const std::filesystem::path stem = stem_of(meta_path);
    const std::filesystem::path part = with(stem, kPartSuffix);
    const std::filesystem::path wav = with(stem, ".wav");
    std::error_code ignored;
    if (std::filesystem::exists(part, ignored)) {
      auto sealed = seal(part, meta->sample_rate);
      if (!sealed.ok()) {
        spdlog::error("voicemail recovery {}: {}", part.string(), sealed.error().message);
        continue;
      }
      if (duration_ms_of(*sealed, meta->sample_rate) <
          static_cast<std::uint64_t>(
              std::chrono::duration_cast<std::chrono::milliseconds>(options_.min_duration)
                  .count())) {
        std::filesystem::remove(part, ignored);
        std::filesystem::remove(meta_path, ignored);
        continue;
      }
      if (::rename(part.c_str(), wav.c_str()) != 0) {
        spdlog::error("voicemail recovery {}: rename: {}", part.string(), errno_text());
        continue;
      }
      (void)fsync_path(stem.parent_path(), O_RDONLY | O_DIRECTORY);
    }
    if (!std::filesystem::exists(wav, ignored)) {
      std::filesystem::remove(meta_path, ignored);  // its message was dropped or removed
      continue;
    }
    const auto size = std::filesystem::file_size(wav, ignored);
    WrittenVoicemail written;
    written.info = meta->info;
    written.path = wav.string();
    written.size_bytes = ignored ? 0 : size;
    written.duration_ms = duration_ms_of(
        written.size_bytes > kHeaderSize ? written.size_bytes - kHeaderSize : 0, meta->sample_rate);
    written.received_at_ms = meta->received_at_ms;
    spdlog::info("voicemail: recovering {} left by an earlier run", written.path);
    publish(meta_path, written);
  }
}

}  // namespace parley::media
