// The B2BUA's branches to destinations outside Parley (provider trunks, issue 11): INVITEs to an
// ExternalTarget instead of a registered device, a single digest retry when the provider
// challenges (RFC 3261 §22.2), and giving up on a provider that does not answer at all.

#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <string>
#include <utility>

#include "protocol/sip/headers.hpp"
#include "sip/b2bua.hpp"
#include "sip/b2bua_call.hpp"
#include "sip/dialog.hpp"
#include "sip/digest_client.hpp"

namespace parley::sip {

namespace {

using protocol::sip::HeaderId;
using protocol::sip::Message;

bool starts_with_name(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) !=
        std::tolower(static_cast<unsigned char>(name[i]))) {
      return false;
    }
  }
  return true;
}

// `sent` (an INVITE send_invite() wrote: one field per line, full names) again as a new
// transaction of the same attempt (§22.2: same Call-ID and From tag, CSeq one higher, a new Via
// branch), carrying `auth_line` ("Name: value\r\n") instead of any credentials it had. Line by
// line rather than field by field: the parser splits list fields at commas.
std::string with_credentials(const Message& sent, std::string_view via,
                             std::string_view auth_line) {
  const std::string_view raw = sent.raw();
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return {};
  std::string out;
  out.reserve(raw.size() + auth_line.size() + 64);
  std::size_t at = 0;
  bool first_line = true;
  while (at < head_end) {
    std::size_t end = raw.find("\r\n", at);
    if (end == std::string_view::npos || end > head_end) end = head_end;
    const std::string_view line = raw.substr(at, end - at);
    at = end + 2;
    if (first_line) {
      first_line = false;
      out.append(line).append("\r\n");
    } else if (starts_with_name(line, "Via")) {
      out.append("Via: ").append(via).append("\r\n");
    } else if (starts_with_name(line, "CSeq")) {
      out.append("CSeq: ")
          .append(std::to_string(sent.cseq_number() + 1))
          .append(" ")
          .append(sent.method_text())
          .append("\r\n");
    } else if (starts_with_name(line, "Authorization") ||
               starts_with_name(line, "Proxy-Authorization") ||
               starts_with_name(line, "Content-Length")) {
      continue;
    } else {
      out.append(line).append("\r\n");
    }
  }
  out.append(auth_line);
  out.append("Content-Length: ").append(std::to_string(sent.body().size())).append("\r\n\r\n");
  out.append(sent.body());
  return out;
}

}  // namespace

void B2bua::ring_externals(Call& call, const Message& invite) {
  const RingStage& stage = call.stages[call.stage];
  for (std::size_t index = 0; index < stage.externals.size(); ++index) {
    if (call.branches.size() >= 0xffffU) break;
    const std::size_t slot = stage.extensions.size() + index;
    if (slot > 0xffffU) break;
    const auto target = static_cast<std::uint32_t>((call.stage << 16U) | slot);
    const ExternalTarget& external = stage.externals[index];
    std::shared_ptr<void> hold;
    if (external.claim) {
      hold = external.claim();
      if (hold == nullptr) {
        // Counted like the trunk's own 503: the next stage (the next trunk) is tried.
        spdlog::warn("call {}: {} is at capacity; trying the next trunk",
                     call.legs[0].dialog.call_id, external.label);
        note_failure(call, 503, "Trunk At Capacity");
        continue;
      }
    }
    if (send_external_branch(call, invite, external)) {
      call.branch_targets.push_back(target);
      call.branch_holds.resize(call.branches.size());
      call.branch_holds.back() = std::move(hold);
    } else {
      spdlog::warn("call {}: cannot send the INVITE to {}", call.legs[0].dialog.call_id,
                   stage.externals[index].label);
    }
  }
}

bool B2bua::send_external_branch(Call& call, const Message& invite, const ExternalTarget& target) {
  Peer peer = target.peer;
  if (peer.local.empty()) peer.local = leg(call, Side::kCaller).dialog.peer.local;
  std::string_view from_uri = target.from_uri;
  std::string_view from_display = target.from_display;
  auto caller_from = protocol::sip::parse_name_addr(invite.first(HeaderId::kFrom));
  if (from_uri.empty()) {
    // No caller-ID configured: the caller's own URI, as with a device.
    if (!caller_from.ok()) return false;
    from_uri = caller_from->uri_text;
    from_display = caller_from->display_name;
  }
  const std::string to = "<" + target.request_uri + ">";
  const std::string passthrough = b2bua_detail::passthrough_lines(invite) + target.extra_lines;
  OutgoingInvite out;
  out.from_display = from_display;
  out.from_uri = from_uri;
  out.to = to;
  out.max_forwards = invite.max_forwards() < 0 ? 70 : invite.max_forwards() - 1;
  out.contact_user = call.caller;
  out.extra_lines = passthrough;
  out.content_type =
      call.branch_offer.empty() ? std::string_view() : invite.first(HeaderId::kContentType);
  out.body = call.branch_offer;
  // send_invite() addresses a device by its binding; a trunk is addressed the same way, by its
  // Request-URI and no Path.
  store::Binding binding;
  binding.contact_uri = target.request_uri;
  auto sent = send_invite(out, peer, binding);
  if (!sent.ok()) return false;
  ClientContext context;
  context.kind = ClientKind::kBranch;
  context.call = call.id;
  context.branch = static_cast<std::uint16_t>(call.branches.size());
  context.no_reply = schedule(*sent, TimerKind::kExternalNoReply, options_.external_reply_timeout);
  clients_.emplace(*sent, std::move(context));
  call.branches.push_back(*sent);
  ++call.live_branches;
  return true;
}

const ExternalTarget* B2bua::external_target(const Call& call, std::uint16_t branch) {
  if (branch >= call.branch_targets.size()) return nullptr;
  const std::uint32_t target = call.branch_targets[branch];
  const std::size_t stage = target >> 16U;
  const std::size_t slot = target & 0xffffU;
  if (stage >= call.stages.size()) return nullptr;
  const RingStage& ring = call.stages[stage];
  if (slot < ring.extensions.size()) return nullptr;
  const std::size_t index = slot - ring.extensions.size();
  return index < ring.externals.size() ? &ring.externals[index] : nullptr;
}

bool B2bua::retry_with_credentials(Call& call, ClientTransaction& transaction,
                                   ClientContext& context, const Message& response) {
  const ExternalTarget* target = external_target(call, context.branch);
  if (target == nullptr) return false;
  const std::string& call_id = call.legs[0].dialog.call_id;
  if (context.challenged) {
    // Our credentials answered the previous challenge and the provider refuses them again.
    spdlog::warn("call {}: {} refused our credentials ({})", call_id, target->label,
                 response.status_code());
    return false;
  }
  auto challenge = pick_challenge(response, target->credentials.realm);
  if (!challenge.ok()) {
    spdlog::warn("call {}: cannot answer the challenge of {}: {}", call_id, target->label,
                 challenge.error().message);
    return false;
  }
  const Message& sent = transaction.request();
  const std::string cnonce = options_.layer.make_tag() + options_.layer.make_tag();
  const DigestAnswer answer{.username = target->credentials.username,
                            .password = target->credentials.password,
                            .method = sent.method_text(),
                            .digest_uri = sent.request_uri(),
                            .nc = 1,
                            .cnonce = cnonce};
  const std::string credentials = authorization_value(*challenge, answer);
  if (credentials.empty()) return false;
  std::string auth_line(authorization_header(*challenge));
  auth_line.append(": ").append(credentials).append("\r\n");
  const Peer peer = transaction.peer();
  const std::string via = make_via(peer.transport, host_port(peer), options_.layer.make_branch());
  const std::string wire = with_credentials(sent, via, auth_line);
  if (wire.empty()) return false;
  auto resent = options_.layer.send_request(wire, peer);
  if (!resent.ok()) return false;

  ClientContext retry;
  retry.kind = ClientKind::kBranch;
  retry.call = call.id;
  retry.branch = context.branch;
  retry.challenged = true;
  retry.no_reply = schedule(*resent, TimerKind::kExternalNoReply, options_.external_reply_timeout);
  // The challenged transaction is over (the layer ACKed its 401/407); the branch goes on as
  // the new one.
  cancel_timer(context.forget);
  cancel_timer(context.no_reply);
  call.branches[retry.branch] = *resent;
  clients_.erase(transaction.id());
  clients_.emplace(*resent, std::move(retry));
  return true;
}

void B2bua::on_external_no_reply(TransactionId transaction, TimerId timer) {
  auto it = clients_.find(transaction);
  if (it == clients_.end() || it->second.no_reply != timer) return;
  ClientContext& context = it->second;
  context.no_reply = kNoTimer;
  Call* call = find_call(context.call);
  if (call == nullptr || call->answered || context.branch >= call->branches.size() ||
      call->branches[context.branch] != transaction) {
    return;
  }
  const std::uint16_t branch = context.branch;
  if (const ExternalTarget* target = external_target(*call, branch)) {
    spdlog::warn(
        "call {}: no answer at all from {} within {} ms", call->legs[0].dialog.call_id,
        target->label,
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.external_reply_timeout)
            .count());
  }
  // §9.1: no CANCEL before a provisional response. Should one still come, the CANCEL follows
  // it; a late 2xx is ACKed and ended with BYE as for any branch we no longer want.
  context.cancel_pending = true;
  keep_for_retransmissions(transaction, context);
  on_branch_failure(*call, branch, 408, "No Reply From Trunk");
}

}  // namespace parley::sip
