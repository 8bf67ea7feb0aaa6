#include "media/ogg_opus_writer.hpp"

#include <opus/opus.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <random>
#include <string_view>

namespace parley::media {
namespace {

constexpr int kGranuleRate = 48000;  // RFC 7845 §4: granule positions count 48 kHz samples
constexpr std::size_t kMaxPacket = 4000;
constexpr std::string_view kVendor = "Parley";

void put16(std::vector<std::uint8_t>& out, std::uint32_t value) {
  out.push_back(static_cast<std::uint8_t>(value));
  out.push_back(static_cast<std::uint8_t>(value >> 8U));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  put16(out, value & 0xFFFFU);
  put16(out, value >> 16U);
}

Error io_error(const char* what) {
  return make_error(errno, std::string("ogg: ") + what + ": " + std::strerror(errno));
}

}  // namespace

void OggOpusWriter::EncoderDeleter::operator()(OpusEncoder* encoder) const {
  opus_encoder_destroy(encoder);
}

Result<std::unique_ptr<OggOpusWriter>> OggOpusWriter::open(const std::string& path, int sample_rate,
                                                           int channels) {
  if (channels < 1 || channels > 2) return make_error(EINVAL, "ogg: 1 or 2 channels");
  int status = OPUS_OK;
  OpusEncoder* encoder = opus_encoder_create(sample_rate, channels, OPUS_APPLICATION_VOIP, &status);
  if (status != OPUS_OK || encoder == nullptr) {
    return make_error(EINVAL, "ogg: opus encoder for " + std::to_string(sample_rate) +
                                  " Hz: " + opus_strerror(status));
  }
  std::unique_ptr<OpusEncoder, EncoderDeleter> owned(encoder);
  std::FILE* file = std::fopen(path.c_str(), "wb");  // NOLINT(*-owning-memory)
  if (file == nullptr) return io_error("open");
  std::random_device entropy;
  std::unique_ptr<OggOpusWriter> writer(
      new OggOpusWriter(file, owned.release(), sample_rate, channels, entropy()));
  if (auto headers = writer->write_headers(); !headers.ok()) return headers.error();
  return writer;
}

OggOpusWriter::OggOpusWriter(std::FILE* file, OpusEncoder* encoder, int sample_rate, int channels,
                             std::uint32_t serial)
    : file_(file),
      encoder_(encoder),
      pages_(serial),
      sample_rate_(sample_rate),
      channels_(channels),
      frame_samples_(static_cast<std::size_t>(sample_rate * kFrameMs / 1000)),
      pending_(frame_samples_ * static_cast<std::size_t>(channels)),
      packet_(kMaxPacket) {
  opus_encoder_ctl(encoder_.get(), OPUS_SET_BITRATE(kBitrate));
  opus_int32 lookahead = 0;
  opus_encoder_ctl(encoder_.get(), OPUS_GET_LOOKAHEAD(&lookahead));
  pre_skip_ = static_cast<int>(lookahead) * (kGranuleRate / sample_rate);
}

OggOpusWriter::~OggOpusWriter() {
  if (file_) (void)close();
}

std::uint64_t OggOpusWriter::granule() const {
  return static_cast<std::uint64_t>(pre_skip_) +
         frames_encoded_ * static_cast<std::uint64_t>(kGranuleRate / sample_rate_);
}

Result<void> OggOpusWriter::write_headers() {
  // RFC 7845 §5.1: OpusHead, alone on the first page (BOS).
  std::vector<std::uint8_t> head = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1};
  head.push_back(static_cast<std::uint8_t>(channels_));
  put16(head, static_cast<std::uint32_t>(pre_skip_));
  put32(head, static_cast<std::uint32_t>(sample_rate_));
  put16(head, 0);     // output gain
  head.push_back(0);  // channel mapping family 0: mono or stereo
  pages_.add(head);
  if (auto written = write_page(false); !written.ok()) return written;
  // §5.2: OpusTags, a vendor string and no user comments, on a page of its own.
  std::vector<std::uint8_t> tags = {'O', 'p', 'u', 's', 'T', 'a', 'g', 's'};
  put32(tags, static_cast<std::uint32_t>(kVendor.size()));
  tags.insert(tags.end(), kVendor.begin(), kVendor.end());
  put32(tags, 0);
  pages_.add(tags);
  return write_page(false);
}

Result<void> OggOpusWriter::write_page(bool last) {
  // Header pages carry granule position 0 (§4).
  const std::uint64_t position = frames_encoded_ == 0 ? 0 : granule();
  const auto page = pages_.finish_page(position, last);
  if (std::fwrite(page.data(), 1, page.size(), file_.get()) != page.size()) {
    return io_error("write");
  }
  if (std::fflush(file_.get()) != 0) return io_error("flush");
  packets_on_page_ = 0;
  return {};
}

Result<void> OggOpusWriter::encode_frame() {
  const opus_int32 size =
      opus_encode(encoder_.get(), pending_.data(), static_cast<int>(frame_samples_), packet_.data(),
                  static_cast<opus_int32>(packet_.size()));
  if (size < 0) return make_error(EIO, std::string("ogg: opus_encode: ") + opus_strerror(size));
  pending_frames_ = 0;
  frames_encoded_ += frame_samples_;
  pages_.add(std::span<const std::uint8_t>(packet_.data(), static_cast<std::size_t>(size)));
  if (++packets_on_page_ >= kPacketsPerPage) return write_page(false);
  return {};
}

Result<void> OggOpusWriter::write_interleaved(std::span<const std::int16_t> samples) {
  if (!file_) return make_error(EBADF, "ogg: closed");
  const auto channels = static_cast<std::size_t>(channels_);
  std::size_t at = 0;
  const std::size_t frames = samples.size() / channels;
  while (at < frames) {
    const std::size_t take = std::min(frames - at, frame_samples_ - pending_frames_);
    std::copy_n(samples.begin() + static_cast<std::ptrdiff_t>(at * channels), take * channels,
                pending_.begin() + static_cast<std::ptrdiff_t>(pending_frames_ * channels));
    pending_frames_ += take;
    at += take;
    frames_in_ += take;
    if (pending_frames_ == frame_samples_) {
      if (auto encoded = encode_frame(); !encoded.ok()) return encoded;
    }
  }
  return {};
}

Result<void> OggOpusWriter::close() {
  if (!file_) return make_error(EBADF, "ogg: closed");
  Result<void> result;
  if (pending_frames_ > 0) {
    std::fill(pending_.begin() + static_cast<std::ptrdiff_t>(pending_frames_ *
                                                             static_cast<std::size_t>(channels_)),
              pending_.end(), 0);
    pending_frames_ = frame_samples_;
    // Not encode_frame(): the page must stay open for the EOS flag.
    const opus_int32 size =
        opus_encode(encoder_.get(), pending_.data(), static_cast<int>(frame_samples_),
                    packet_.data(), static_cast<opus_int32>(packet_.size()));
    if (size >= 0) {
      pages_.add(std::span<const std::uint8_t>(packet_.data(), static_cast<std::size_t>(size)));
    }
    pending_frames_ = 0;
  }
  // §4: the last page's granule position is the true end; the decoder drops the padding.
  frames_encoded_ = frames_in_;
  if (frames_encoded_ > 0) result = write_page(true);
  file_.reset();
  return result;
}

}  // namespace parley::media
