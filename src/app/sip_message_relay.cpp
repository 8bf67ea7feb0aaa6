#include "app/sip_message_relay.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "base/ascii.hpp"
#include "protocol/sip/headers.hpp"
#include "protocol/sip/uri.hpp"
#include "sip/dialog.hpp"

namespace parley::app {

using protocol::sip::HeaderId;
using protocol::sip::Message;
using protocol::sip::Method;

namespace {

constexpr std::string_view kTextPlain = "text/plain";

using base::iequals;

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// RFC 3428 §11: text/plain is the type every MESSAGE endpoint takes; the chat stores text only.
// A charset other than UTF-8 (or US-ASCII, its subset) would need converting, so it is refused.
bool is_plain_utf8_text(const Message& request) {
  for (const auto& field : request.headers()) {
    if (field.id != HeaderId::kContentEncoding) continue;
    for (std::string_view coding : protocol::sip::split_tokens(request.value(field))) {
      if (!iequals(trim(coding), "identity")) return false;
    }
  }
  const std::string_view content_type = request.first(HeaderId::kContentType);
  const auto semicolon = content_type.find(';');
  if (!iequals(trim(content_type.substr(0, semicolon)), kTextPlain)) return false;
  if (semicolon == std::string_view::npos) return true;
  std::string_view params = content_type.substr(semicolon + 1);
  while (!params.empty()) {
    const auto end = params.find(';');
    const std::string_view param = trim(params.substr(0, end));
    const auto eq = param.find('=');
    if (eq != std::string_view::npos && iequals(trim(param.substr(0, eq)), "charset")) {
      std::string_view value = trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (!iequals(value, "utf-8") && !iequals(value, "us-ascii")) {
        return false;
      }
    }
    if (end == std::string_view::npos) break;
    params.remove_prefix(end + 1);
  }
  return true;
}

// A Request-URI host that is an address names no tenant: the sender's own tenant is meant
// (as the B2BUA reads an INVITE to our IP).
bool names_no_domain(std::string_view host) {
  if (host.empty() || host.front() == '[') return true;
  for (char c : host) {
    if (c != '.' && (c < '0' || c > '9')) return false;
  }
  return true;
}

std::string unescaped(std::string_view text) {
  auto decoded = protocol::sip::unescape(text);
  return decoded.ok() ? std::move(decoded).value() : std::string(text);
}

}  // namespace

SipMessageRelay::SipMessageRelay(Options options) : options_(std::move(options)) {
  options_.bridge.attach_worker(options_.worker, *this);
}

SipMessageRelay::~SipMessageRelay() {
  options_.bridge.detach_worker(options_.worker);
}

bool SipMessageRelay::handles(const Message& request) const {
  return request.method() == Method::kMessage && request.to_tag().empty() &&
         options_.bridge.enabled();
}

void SipMessageRelay::reject(sip::ServerTransaction& transaction, int status,
                             std::string_view reason, protocol::sip::ExtraHeaders extra) {
  protocol::sip::ResponseOptions response;
  response.status_code = status;
  response.reason = reason;
  const std::string to_tag = options_.layer.make_tag();
  response.to_tag = to_tag;
  extra.emplace_back("Server", options_.advertisement.server);
  response.extra_headers = std::move(extra);
  if (auto sent = transaction.respond(response); !sent) {
    spdlog::debug("cannot answer MESSAGE: {}", sent.error().message);
  }
}

void SipMessageRelay::on_request(sip::ServerTransaction& transaction, const Message& request) {
  // §8.2 checks as for every request, except that the body type is ours to judge (text/plain).
  if (auto verdict = sip::check_request_headers(request);
      verdict && *verdict != sip::RequestVerdict::kUnsupportedMediaType) {
    protocol::sip::ResponseOptions response;
    response.status_code = sip::status_code_of(*verdict);
    const std::string to_tag = options_.layer.make_tag();
    response.to_tag = to_tag;
    response.extra_headers = sip::extra_headers_for(*verdict, request, options_.advertisement);
    (void)transaction.respond(response);
    return;
  }
  if (request.max_forwards() == 0) {
    reject(transaction, 483);
    return;
  }
  auto from = protocol::sip::parse_name_addr(request.first(HeaderId::kFrom));
  auto target = protocol::sip::parse_uri(request.request_uri());
  if (!from.ok() || from->is_star || from->opaque_uri || !target.ok()) {
    reject(transaction, 400, "Bad From or Request-URI");
    return;
  }
  const auto tenant = options_.routing.resolve_tenant(from->uri.host);
  if (!tenant) {
    reject(transaction, 403, "Unknown Domain");
    return;
  }
  sip::CallAuth auth = options_.routing.authenticate(request, *tenant);
  if (auth.outcome == sip::CallAuthOutcome::kChallenge) {
    protocol::sip::ExtraHeaders extra;
    for (auto& challenge : auth.challenges) {
      extra.emplace_back("Proxy-Authenticate", std::move(challenge));
    }
    reject(transaction, 407, {}, std::move(extra));
    return;
  }
  if (auth.outcome != sip::CallAuthOutcome::kOk) {
    reject(transaction, 403);
    return;
  }
  std::string sender = unescaped(from->uri.user);
  if (sender != auth.username) {
    reject(transaction, 403, "From Does Not Match Credentials");
    return;
  }
  if (!is_plain_utf8_text(request)) {
    reject(transaction, 415, {},
           {{"Accept", std::string(kTextPlain)}, {"Accept-Encoding", "identity"}});
    return;
  }
  if (request.body().size() > options_.bridge.options().max_body_bytes) {
    reject(transaction, 413, "Message Too Long");
    return;
  }
  const auto recipient_tenant =
      names_no_domain(target->host) ? tenant : options_.routing.resolve_tenant(target->host);
  if (!recipient_tenant) {
    reject(transaction, 404, "Unknown Domain");
    return;
  }
  if (recipient_tenant->id != tenant->id) {
    reject(transaction, 403, "Messages Between Tenants Not Allowed");
    return;
  }
  std::string recipient = unescaped(target->user);
  if (recipient.empty() || !options_.routing.extension_exists(*tenant, recipient)) {
    reject(transaction, 404);
    return;
  }
  if (recipient == sender) {
    reject(transaction, 403, "Messages To Oneself Not Allowed");
    return;
  }
  InboundSipMessage message{tenant->id, std::move(sender), std::move(recipient),
                            std::string(request.body())};
  if (!options_.bridge.deliver(options_.worker, transaction.id(), std::move(message))) {
    reject(transaction, 503, "Chat Busy", {{"Retry-After", "5"}});
  }
}

void SipMessageRelay::finish(sip::TransactionId id, const SipMessageVerdict& verdict) {
  sip::ServerTransaction* transaction = options_.layer.find_server(id);
  if (transaction == nullptr || transaction->last_status() >= 200) return;
  protocol::sip::ExtraHeaders extra;
  if (verdict.retry_later) extra.emplace_back("Retry-After", "1");
  reject(*transaction, verdict.status, verdict.reason, std::move(extra));
  if (options_.wake) options_.wake();
}

std::string SipMessageRelay::host_port(const sip::Peer& peer) const {
  std::string out =
      options_.advertised_host.empty() ? peer.local.host_for_uri() : options_.advertised_host;
  out.append(":").append(std::to_string(peer.local.port()));
  return out;
}

void SipMessageRelay::send(const OutgoingSipMessage& message) {
  for (const auto& binding : message.bindings) {
    auto peer = options_.routing.binding_peer(binding);
    if (!peer || peer->local.empty()) {
      spdlog::debug("MESSAGE to {}: binding {} is not reachable now", message.to_uri,
                    binding.contact_uri);
      continue;
    }
    std::string out;
    out.reserve(512 + binding.contact_uri.size() + binding.path.size() + message.body.size());
    const auto header = [&out](std::string_view name, std::string_view value) {
      out.append(name).append(": ").append(value).append("\r\n");
    };
    out.append("MESSAGE ").append(binding.contact_uri).append(" SIP/2.0\r\n");
    header("Via", sip::make_via(peer->transport, host_port(*peer), options_.layer.make_branch()));
    header("Max-Forwards", "70");
    if (!binding.path.empty()) header("Route", binding.path);
    out.append("From: <").append(message.from_uri).append(">;tag=");
    out.append(options_.layer.make_tag()).append("\r\n");
    header("To", "<" + message.to_uri + ">");
    header("Call-ID", options_.make_call_id
                          ? options_.make_call_id()
                          : options_.layer.make_tag() + options_.layer.make_tag());
    header("CSeq", "1 MESSAGE");
    if (!options_.advertisement.server.empty()) header("User-Agent", options_.advertisement.server);
    header("Content-Type", "text/plain;charset=UTF-8");
    header("Content-Length", std::to_string(message.body.size()));
    out.append("\r\n").append(message.body);
    auto sent = options_.layer.send_request(out, *peer);
    if (!sent) {
      spdlog::info("MESSAGE to {} at {}: not sent: {}", message.to_uri, binding.contact_uri,
                   sent.error().message);
      continue;
    }
    sent_.emplace(*sent, message.to_uri + " at " + binding.contact_uri);
  }
  if (options_.wake) options_.wake();
}

bool SipMessageRelay::on_response(sip::ClientTransaction& transaction, const Message& response) {
  const auto found = sent_.find(transaction.id());
  if (found == sent_.end()) return false;
  const int status = response.status_code();
  if (status < 200) return true;
  if (status < 300) {
    spdlog::debug("MESSAGE to {}: {}", found->second, status);
  } else {
    spdlog::info("MESSAGE to {}: refused with {} {}", found->second, status,
                 response.reason_phrase());
  }
  sent_.erase(found);
  return true;
}

bool SipMessageRelay::on_client_failure(sip::ClientTransaction& transaction,
                                        sip::ClientFailure failure) {
  const auto found = sent_.find(transaction.id());
  if (found == sent_.end()) return false;
  spdlog::info("MESSAGE to {}: no answer ({})", found->second, sip::failure_status_code(failure));
  sent_.erase(found);
  return true;
}

}  // namespace parley::app
