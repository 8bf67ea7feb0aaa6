#include "sip/subscription_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>
#include <variant>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/uri.hpp"
#include "sip/dialog.hpp"
#include "sip/dialog_info.hpp"
#include "sip/presence.hpp"
#include "sip/registrar.hpp"
#include "sip/request_auth.hpp"

namespace parley::sip {

namespace {

namespace psip = protocol::sip;
using psip::Message;

std::string dialog_key(std::string_view call_id, std::string_view local_tag) {
  std::string key(call_id);
  key += '\n';
  key += local_tag;
  return key;
}

}  // namespace

struct SubscriptionService::Subscription {
  std::uint64_t id = 0;
  EventPackage package = EventPackage::kDialog;
  std::string event_line;  // "Event: dialog;id=x\r\n"
  Dialog dialog;
  store::TenantId tenant = 0;
  std::string extension;  // watched
  std::string domain;
  std::string entity;  // sip:ext@domain
  std::string hub_key;
  std::string device;
  TimePoint expires_at;
  TimerId expiry = kNoTimer;
  std::uint32_t version = 0;  // of the next dialog-info document
  TransactionId pending = 0;  // NOTIFY in flight
  bool dirty = false;         // state changed while a NOTIFY was in flight
  bool watching = false;      // counted in the hub (watch and admission)
  bool terminated = false;    // only the final NOTIFY is still to go
  bool final_sent = false;
  std::string end_reason;
  // Dialogs the last NOTIFY reported as live, so that an ended one is reported terminated once.
  std::vector<std::pair<std::string, CallDirection>> reported;
};

SubscriptionService::SubscriptionService(SubscriptionServiceOptions options)
    : options_(std::move(options)), coalescer_(options_.coalesce_window) {}

SubscriptionService::~SubscriptionService() {
  for (auto& entry : subscriptions_) stop_watching(*entry.second);
}

// --- SUBSCRIBE ---

void SubscriptionService::respond(ServerTransaction& transaction, int status,
                                  std::string_view reason, psip::ExtraHeaders extra,
                                  std::string_view to_tag) {
  const std::string tag = to_tag.empty() ? options_.layer.make_tag() : std::string();
  psip::ResponseOptions response;
  response.status_code = status;
  response.reason = reason;
  response.to_tag = to_tag.empty() ? std::string_view(tag) : to_tag;
  response.extra_headers = std::move(extra);
  response.extra_headers.emplace_back("Server", options_.user_agent);
  if (auto sent = transaction.respond(response); !sent) {
    spdlog::debug("SUBSCRIBE answer {} not sent: {}", status, sent.error().message);
  }
}

void SubscriptionService::refuse(ServerTransaction& transaction, int status,
                                 std::string_view reason, psip::ExtraHeaders extra) {
  ++stats_.refused;
  respond(transaction, status, reason, std::move(extra));
}

void SubscriptionService::on_subscribe(ServerTransaction& transaction, const Message& request) {
  if (!request.to_tag().empty()) {
    on_refresh(transaction, request);
    return;
  }
  auto read = read_subscribe(request);
  if (read && !read->package) {
    refuse(transaction, 489, {}, {{"Allow-Events", std::string(kAllowEvents)}});
    return;
  }
  if (read && !read->accepted) {
    refuse(transaction, 406, {}, {{"Accept", std::string(content_type_of(*read->package))}});
    return;
  }
  if (!read) {
    refuse(transaction, read.error().code, read.error().message);
    return;
  }
  const EventPackage package = *read->package;
  std::uint32_t expires = read->expires.value_or(options_.default_expires);
  auto checked =
      authenticate_request(request, transaction.peer().remote.ip(),
                           {options_.directory, options_.authenticator, options_.throttle});
  if (auto* refusal = std::get_if<RequestRefusal>(&checked)) {
    ++(refusal->is_challenge() ? stats_.challenged : stats_.refused);
    respond(transaction, refusal->status, refusal->reason, std::move(refusal->extra));
    return;
  }
  auto& [directory, tenant, username, target_tenant, watched] =
      std::get<AuthenticatedRequest>(checked);
  if (target_tenant == nullptr) {
    refuse(transaction, 404, "Unknown Domain");
    return;
  }
  if (target_tenant->id != tenant->id) {
    refuse(transaction, 403, "Cross-Tenant Subscription Not Allowed");
    return;
  }
  if (watched.empty() || directory->extension(tenant->id, watched) == nullptr) {
    refuse(transaction, 404);
    return;
  }
  // A box's message counts are its owner's business: a phone watches its own box only.
  if (package == EventPackage::kMessageSummary && watched != username) {
    refuse(transaction, 403, "Not Your Mailbox");
    return;
  }
  if (expires != 0 && expires < options_.min_expires) {
    refuse(transaction, 423, {}, {{"Min-Expires", std::to_string(options_.min_expires)}});
    return;
  }
  expires = std::min(expires, options_.max_expires);

  std::string device = PresenceHub::key(tenant->id, username);
  device += '\n';
  device += transaction.peer().remote.to_string();
  switch (options_.hub.admit(tenant->id, device)) {
    case SubscriptionAdmission::kAdmitted:
      break;
    case SubscriptionAdmission::kDeviceFull:
      refuse(transaction, 403, "Too Many Subscriptions");
      return;
    case SubscriptionAdmission::kTenantFull:
      refuse(transaction, 503, "Too Many Subscriptions In Tenant",
             {{"Retry-After", std::to_string(options_.retry_after_seconds)}});
      return;
  }
  const std::string local_tag = options_.layer.make_tag();
  auto dialog = make_uas_dialog(request, local_tag, transaction.peer());
  if (!dialog) {
    options_.hub.release(tenant->id, device);
    refuse(transaction, 400, dialog.error().message);
    return;
  }

  auto owned = std::make_unique<Subscription>();
  Subscription& subscription = *owned;
  subscription.id = next_id_++;
  subscription.package = package;
  subscription.event_line = "Event: " + std::string(package_name(package));
  if (!read->event_id.empty()) subscription.event_line += ";id=" + std::string(read->event_id);
  subscription.event_line += "\r\n";
  subscription.dialog = std::move(dialog).value();
  subscription.tenant = tenant->id;
  subscription.extension = std::move(watched);
  subscription.domain = tenant->domain;
  subscription.entity = "sip:" + subscription.extension + "@" + subscription.domain;
  subscription.hub_key = PresenceHub::key(tenant->id, subscription.extension);
  subscription.device = std::move(device);
  subscription.watching = true;
  const TimePoint now = options_.clock.now();
  subscription.expires_at = now + std::chrono::seconds(expires);
  by_dialog_.emplace(dialog_key(subscription.dialog.call_id, local_tag), subscription.id);
  subscriptions_.emplace(subscription.id, std::move(owned));
  ++stats_.subscribed;

  respond(transaction, 200, {},
          {{"Expires", std::to_string(expires)},
           {"Contact", make_contact(transaction.peer().transport, subscription.extension,
                                    host_port(transaction.peer()))}},
          local_tag);
  if (expires == 0) {
    end(subscription, "timeout");  // a fetch: one NOTIFY, then nothing
    return;
  }
  options_.hub.watch(options_.worker, subscription.hub_key);
  by_extension_[subscription.hub_key].push_back(subscription.id);
  subscription.expiry = timers_.schedule(subscription.expires_at, subscription.id);
  send_notify(subscription);
}

void SubscriptionService::on_refresh(ServerTransaction& transaction, const Message& request) {
  auto it = by_dialog_.find(dialog_key(request.call_id(), request.to_tag()));
  Subscription* subscription = it == by_dialog_.end() ? nullptr : find(it->second);
  if (subscription == nullptr || subscription->terminated ||
      request.from_tag() != subscription->dialog.remote_tag) {
    refuse(transaction, 481);
    return;
  }
  auto read = read_subscribe(request);
  if (read && read->package != subscription->package) {
    refuse(transaction, 489, {}, {{"Allow-Events", std::string(kAllowEvents)}});
    return;
  }
  if (!read) {
    refuse(transaction, read.error().code, read.error().message);
    return;
  }
  if (!accept_remote_cseq(subscription->dialog, request)) {
    refuse(transaction, 500, "CSeq Out of Order");
    return;
  }
  std::uint32_t expires = read->expires.value_or(options_.default_expires);
  if (expires != 0 && expires < options_.min_expires) {
    refuse(transaction, 423, {}, {{"Min-Expires", std::to_string(options_.min_expires)}});
    return;
  }
  expires = std::min(expires, options_.max_expires);
  (void)refresh_target(subscription->dialog, request);
  respond(transaction, 200, {}, {{"Expires", std::to_string(expires)}},
          subscription->dialog.local_tag);
  if (expires == 0) {
    ++stats_.unsubscribed;
    end(*subscription, {});
    return;
  }
  ++stats_.refreshed;
  subscription->expires_at = options_.clock.now() + std::chrono::seconds(expires);
  timers_.cancel(subscription->expiry);
  subscription->expiry = timers_.schedule(subscription->expires_at, subscription->id);
  send_notify(*subscription);
}

// --- NOTIFY ---

std::string SubscriptionService::dialog_body(Subscription& subscription) {
  const ExtensionSnapshot state = options_.hub.snapshot(subscription.hub_key);
  std::vector<std::string> remotes;
  remotes.reserve(state.dialogs.size());
  for (const ExtensionDialog& dialog : state.dialogs) {
    remotes.push_back(dialog.remote_party.empty()
                          ? std::string()
                          : "sip:" + dialog.remote_party + "@" + subscription.domain);
  }
  std::vector<DialogInfoEntry> entries;
  entries.reserve(state.dialogs.size() + subscription.reported.size());
  for (std::size_t i = 0; i < state.dialogs.size(); ++i) {
    const ExtensionDialog& dialog = state.dialogs[i];
    entries.push_back(DialogInfoEntry{dialog.id, dialog.direction, dialog_info_state(dialog.phase),
                                      dialog.call_id, dialog.local_tag, dialog.remote_tag,
                                      remotes[i]});
  }
  for (const auto& reported : subscription.reported) {
    const bool live = std::any_of(state.dialogs.begin(), state.dialogs.end(),
                                  [&](const ExtensionDialog& d) { return d.id == reported.first; });
    if (!live) {
      entries.push_back(DialogInfoEntry{
          reported.first, reported.second, DialogInfoState::kTerminated, {}, {}, {}, {}});
    }
  }
  std::string body = build_dialog_info(subscription.entity, subscription.version, entries);
  subscription.reported.clear();
  for (const ExtensionDialog& dialog : state.dialogs) {
    subscription.reported.emplace_back(dialog.id, dialog.direction);
  }
  return body;
}

std::string SubscriptionService::message_summary_body(const Subscription& subscription) {
  const MessageCounts counts = options_.hub.snapshot(subscription.hub_key).messages;
  // RFC 3842 §5.2; urgent counts are not kept, so always (0/0).
  std::string body = "Messages-Waiting: ";
  body += counts.new_messages > 0 ? "yes" : "no";
  body += "\r\nMessage-Account: " + subscription.entity + "\r\nVoice-Message: ";
  body += std::to_string(counts.new_messages) + "/" + std::to_string(counts.old_messages);
  body += " (0/0)\r\n";
  return body;
}

std::string SubscriptionService::presence_body(const Subscription& subscription) {
  const ExtensionSnapshot state = options_.hub.snapshot(subscription.hub_key);
  PresenceInputs inputs;
  inputs.registered =
      !options_.location.lookup(subscription.tenant, subscription.extension).empty();
  inputs.do_not_disturb = state.do_not_disturb;
  inputs.user = state.user;
  for (const ExtensionDialog& dialog : state.dialogs) {
    if (dialog.phase == CallPhase::kConfirmed) inputs.in_call = true;
    if (dialog.phase == CallPhase::kRinging) inputs.ringing = true;
  }
  return build_pidf(subscription.entity, derive_presence(inputs));
}

void SubscriptionService::send_notify(Subscription& subscription) {
  if (subscription.final_sent) return;
  if (subscription.pending != 0) {
    subscription.dirty = true;
    return;
  }
  subscription.dirty = false;
  std::string body;
  switch (subscription.package) {
    case EventPackage::kDialog:
      body = dialog_body(subscription);
      break;
    case EventPackage::kPresence:
      body = presence_body(subscription);
      break;
    case EventPackage::kMessageSummary:
      body = message_summary_body(subscription);
      break;
  }
  std::string lines = subscription.event_line;
  lines += "Subscription-State: ";
  if (subscription.terminated) {
    lines += "terminated";
    if (!subscription.end_reason.empty()) lines += ";reason=" + subscription.end_reason;
  } else {
    const auto left =
        std::chrono::ceil<std::chrono::seconds>(subscription.expires_at - options_.clock.now());
    lines += "active;expires=" + std::to_string(std::max<std::int64_t>(left.count(), 1));
  }
  lines += "\r\n";
  const Peer& peer = subscription.dialog.peer;
  const std::string host = host_port(peer);
  const std::string via = make_via(peer.transport, host, options_.layer.make_branch());
  const std::string contact = make_contact(peer.transport, subscription.extension, host);
  DialogRequest notify;
  notify.method = "NOTIFY";
  notify.cseq = ++subscription.dialog.local_cseq;
  notify.via = via;
  notify.contact = contact;
  notify.user_agent = options_.user_agent;
  notify.extra_lines = lines;
  notify.content_type = content_type_of(subscription.package);
  notify.body = body;
  auto sent = options_.layer.send_request(build_request(subscription.dialog, notify), peer);
  if (!sent) {
    ++stats_.notifies_failed;
    remove(subscription.id);
    return;
  }
  ++stats_.notifies_sent;
  ++subscription.version;
  subscription.pending = *sent;
  notifies_.emplace(*sent, subscription.id);
  if (subscription.terminated) subscription.final_sent = true;
}

bool SubscriptionService::on_response(ClientTransaction& transaction, const Message& response) {
  auto it = notifies_.find(transaction.id());
  if (it == notifies_.end()) return false;
  const int status = response.status_code();
  if (status < 200) return true;
  const std::uint64_t id = it->second;
  notifies_.erase(it);
  Subscription* subscription = find(id);
  if (subscription == nullptr) return true;
  subscription->pending = 0;
  if (status >= 300) {
    // RFC 6665 §4.2.2: 481 means the subscriber has no such subscription; any other failure
    // leaves us unable to keep it informed either.
    ++stats_.notifies_failed;
    spdlog::debug("NOTIFY for {} answered {}: subscription dropped", subscription->entity, status);
    remove(id);
    return true;
  }
  if (subscription->final_sent) {
    remove(id);
  } else if (subscription->dirty) {
    send_notify(*subscription);
  }
  return true;
}

bool SubscriptionService::on_client_failure(ClientTransaction& transaction,
                                            ClientFailure /*failure*/) {
  auto it = notifies_.find(transaction.id());
  if (it == notifies_.end()) return false;
  const std::uint64_t id = it->second;
  notifies_.erase(it);
  ++stats_.notifies_failed;
  if (Subscription* subscription = find(id)) {
    subscription->pending = 0;
    remove(id);
  }
  return true;
}

void SubscriptionService::on_changes() {
  const TimePoint now = options_.clock.now();
  for (const std::string& key : options_.hub.take_dirty(options_.worker)) {
    ++stats_.state_changes;
    coalescer_.mark(key, now);
  }
}

// --- lifetime ---

void SubscriptionService::end(Subscription& subscription, std::string_view reason) {
  subscription.terminated = true;
  subscription.end_reason.assign(reason);
  timers_.cancel(subscription.expiry);
  subscription.expiry = kNoTimer;
  stop_watching(subscription);
  send_notify(subscription);
}

void SubscriptionService::stop_watching(Subscription& subscription) {
  if (!subscription.watching) return;
  subscription.watching = false;
  options_.hub.release(subscription.tenant, subscription.device);
  auto it = by_extension_.find(subscription.hub_key);
  if (it == by_extension_.end()) return;  // a fetch never watched
  auto& ids = it->second;
  const auto before = ids.size();
  ids.erase(std::remove(ids.begin(), ids.end(), subscription.id), ids.end());
  if (ids.size() != before) options_.hub.unwatch(options_.worker, subscription.hub_key);
  if (ids.empty()) by_extension_.erase(it);
}

void SubscriptionService::remove(std::uint64_t id) {
  Subscription* subscription = find(id);
  if (subscription == nullptr) return;
  stop_watching(*subscription);
  timers_.cancel(subscription->expiry);
  if (subscription->pending != 0) notifies_.erase(subscription->pending);
  by_dialog_.erase(dialog_key(subscription->dialog.call_id, subscription->dialog.local_tag));
  subscriptions_.erase(id);
}

SubscriptionService::Subscription* SubscriptionService::find(std::uint64_t id) {
  auto it = subscriptions_.find(id);
  return it == subscriptions_.end() ? nullptr : it->second.get();
}

std::string SubscriptionService::host_port(const Peer& peer) const {
  std::string out =
      options_.advertised_host.empty() ? peer.local.host_for_uri() : options_.advertised_host;
  out.append(":").append(std::to_string(peer.local.port()));
  return out;
}

TimePoint SubscriptionService::next_deadline() const {
  const TimePoint expiry = timers_.next_deadline().value_or(TimePoint::max());
  return std::min(expiry, coalescer_.next_deadline().value_or(TimePoint::max()));
}

void SubscriptionService::process_timers() {
  const TimePoint now = options_.clock.now();
  while (auto expired = timers_.pop_due(now)) {
    Subscription* subscription = find(expired->cookie);
    if (subscription == nullptr || subscription->expiry != expired->id) continue;
    subscription->expiry = kNoTimer;
    ++stats_.expired;
    end(*subscription, "timeout");
  }
  for (const std::string& key : coalescer_.take_due(now)) {
    auto it = by_extension_.find(key);
    if (it == by_extension_.end()) continue;
    const std::vector<std::uint64_t> ids = it->second;  // send_notify may drop subscriptions
    for (std::uint64_t id : ids) {
      if (Subscription* subscription = find(id)) send_notify(*subscription);
    }
  }
}

}  // namespace parley::sip
