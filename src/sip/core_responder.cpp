#include "sip/core_responder.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace parley::sip {
namespace {

using protocol::sip::Message;
using protocol::sip::ResponseOptions;

std::uint64_t seed_from(std::uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32U) ^ device();
}

}  // namespace

bool RejectionLog::admit() {
  const TimePoint now = clock_.now();
  if (now - window_start_ >= std::chrono::seconds(1)) {
    if (suppressed_in_window_ != 0) {
      spdlog::warn("{} more rejected or dropped SIP messages were not logged",
                   suppressed_in_window_);
    }
    window_start_ = now;
    in_window_ = 0;
    suppressed_in_window_ = 0;
  }
  if (in_window_ < per_second_) {
    ++in_window_;
    return true;
  }
  ++suppressed_in_window_;
  ++suppressed_total_;
  return false;
}

CoreResponder::CoreResponder(const Options& options)
    : transport_(options.transport),
      advertisement_(options.advertisement),
      random_(seed_from(options.random_seed)),
      log_(options.clock, options.warnings_per_second) {
  static const Message kNoRequest;
  options_ok_.status_code = 200;
  options_ok_.extra_headers =
      extra_headers_for(RequestVerdict::kOptionsOk, kNoRequest, advertisement_);
  method_not_allowed_.status_code = 405;
  method_not_allowed_.extra_headers =
      extra_headers_for(RequestVerdict::kMethodNotAllowed, kNoRequest, advertisement_);
  plain_rejection_.extra_headers =
      extra_headers_for(RequestVerdict::kNotImplemented, kNoRequest, advertisement_);
}

std::string_view CoreResponder::make_tag() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t bits = random_();
  for (char& digit : tag_) {
    digit = kHex[bits & 0xFU];
    bits >>= 4U;
  }
  return {tag_, sizeof tag_};
}

void CoreResponder::send(const Peer& to, std::string_view bytes) {
  if (transport_.send(to, bytes)) {
    ++stats_.answered;
  } else {
    ++stats_.send_failures;
  }
}

void CoreResponder::on_inbound(Result<Message> parsed, std::string_view raw, const Peer& from) {
  if (parsed.ok()) {
    respond(parsed.value(), from);
  } else {
    reject_unparsable(raw, parsed.error(), from);
  }
}

void CoreResponder::respond(const Message& message, const Peer& from) {
  const RequestVerdict verdict = classify_request(message);
  switch (verdict) {
    case RequestVerdict::kNoResponse:
      ++stats_.dropped;
      return;
    case RequestVerdict::kOptionsOk:
      ++stats_.options_ok;
      options_ok_.to_tag = make_tag();
      send(from, protocol::sip::build_response(message, options_ok_));
      return;
    case RequestVerdict::kMethodNotAllowed:
      ++stats_.rejected;
      method_not_allowed_.to_tag = make_tag();
      send(from, protocol::sip::build_response(message, method_not_allowed_));
      break;
    case RequestVerdict::kBadExtension:
    case RequestVerdict::kUnsupportedMediaType: {
      ++stats_.rejected;
      ResponseOptions options;
      options.status_code = status_code_of(verdict);
      options.to_tag = make_tag();
      options.extra_headers = extra_headers_for(verdict, message, advertisement_);
      send(from, protocol::sip::build_response(message, options));
      break;
    }
    case RequestVerdict::kUnsupportedUriScheme:
    case RequestVerdict::kNotAcceptable:
    case RequestVerdict::kNoSuchTransaction:
    case RequestVerdict::kNotImplemented:
      ++stats_.rejected;
      plain_rejection_.status_code = status_code_of(verdict);
      plain_rejection_.to_tag = make_tag();
      send(from, protocol::sip::build_response(message, plain_rejection_));
      break;
  }
  // Methods we do not serve yet are a normal answer, not a sign of trouble.
  const bool routine = verdict == RequestVerdict::kMethodNotAllowed ||
                       verdict == RequestVerdict::kNotImplemented ||
                       verdict == RequestVerdict::kNoSuchTransaction;
  const auto level = routine ? spdlog::level::debug : spdlog::level::warn;
  if (spdlog::should_log(level) && log_.admit()) {
    spdlog::log(level, "answered {} {} from {} {}: {} (Call-ID {})", status_code_of(verdict),
                message.method_text(), to_text(from.transport), from.remote.to_string(),
                describe(verdict), message.call_id());
  }
}

void CoreResponder::reject_unparsable(std::string_view raw, const Error& error, const Peer& from) {
  const std::string response = answer_unparsable(raw, error, make_tag());
  if (response.empty()) {
    ++stats_.dropped;
  } else {
    ++stats_.unparsable_answered;
    send(from, response);
  }
  if (spdlog::should_log(spdlog::level::warn) && log_.admit()) {
    spdlog::warn("{} unparsable SIP message ({} bytes) from {} {}: {}",
                 response.empty() ? "dropped" : "answered " + std::to_string(error.code),
                 raw.size(), to_text(from.transport), from.remote.to_string(), error.message);
  }
}

}  // namespace parley::sip
