#include "sip/subscription_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>
#include <variant>

#include "protocol/sip/headers.hpp"
#include "protocol/sip/syntax.hpp"
#include "protocol/sip/uri.hpp"
#include "sip/dialog.hpp"
#include "sip/dialog_info.hpp"
#include "sip/presence.hpp"
#include "sip/registrar.hpp"
#include "sip/request_auth.hpp"
#include "sip/resource_list.hpp"

namespace parley::sip {

namespace {

namespace psip = protocol::sip;
using psip::Message;

// RFC 4662 §4: the subscriber says it takes event lists with the "eventlist" option tag.
bool accepts_event_lists(const Message& request) {
  for (const auto& field : request.headers()) {
    if (field.id != psip::HeaderId::kSupported) continue;
    const auto tokens = psip::split_tokens(request.value(field));
    if (std::any_of(tokens.begin(), tokens.end(), [](std::string_view token) {
          return psip::detail::iequals(token, "eventlist");
        })) {
      return true;
    }
  }
  return false;
}

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
  std::uint32_t version = 0;   // of the next dialog-info document
  TransactionId pending = 0;   // NOTIFY in flight
  bool dirty = false;          // state changed while a NOTIFY was in flight
  bool must_send = false;      // ... and a refresh asked for a NOTIFY whatever the state
  bool reported_once = false;  // `fingerprint` names what the last NOTIFY reported
  std::size_t fingerprint = 0;
  TimerId lapse = kNoTimer;  // presence: when the watched extension's latest binding expires
  bool watching = false;     // counted in the hub (watch and admission)
  bool terminated = false;   // only the final NOTIFY is still to go
  bool final_sent = false;
  std::string end_reason;
  // Dialogs the last NOTIFY reported as live, so that an ended one is reported terminated once.
  std::vector<std::pair<std::string, CallDirection>> reported;
  // An event-list subscription (RFC 4662): its members and their hub keys; `hub_key` is unused.
  std::unique_ptr<ResourceListState> list;
  std::vector<std::string> member_extensions;
  std::vector<std::string> member_keys;

  const std::vector<std::string>& watched_keys() const { return list ? member_keys : single_key; }
  std::vector<std::string> single_key;  // {hub_key}
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
  // The tenant's presence list (decision 0037), unless an extension has that number.
  const bool list = package == EventPackage::kPresence && watched == kPresenceListUser &&
                    directory->extension(tenant->id, watched) == nullptr;
  if (list && !accepts_event_lists(request)) {
    refuse(transaction, 421, {}, {{"Require", "eventlist"}});
    return;
  }
  const bool watchable_number = package == EventPackage::kDialog && options_.watchable &&
                                options_.watchable(tenant->id, watched);
  if (!list && !watchable_number &&
      (watched.empty() || directory->extension(tenant->id, watched) == nullptr)) {
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
  subscription.single_key = {subscription.hub_key};
  if (list) {
    std::vector<std::string> numbers = directory->extension_numbers(tenant->id);
    if (numbers.size() > kMaxListResources) numbers.resize(kMaxListResources);
    std::vector<std::string> uris;
    for (const std::string& number : numbers) {
      uris.push_back("sip:" + number + "@" + tenant->domain);
      subscription.member_keys.push_back(PresenceHub::key(tenant->id, number));
    }
    subscription.member_extensions = std::move(numbers);
    subscription.list = std::make_unique<ResourceListState>(subscription.entity, std::move(uris),
                                                            std::to_string(subscription.id));
  }
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
  for (const std::string& key : subscription.watched_keys()) {
    options_.hub.watch(options_.worker, key);
    by_extension_[key].push_back(subscription.id);
  }
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

std::string SubscriptionService::dialog_body(Subscription& subscription, std::size_t& fingerprint) {
  const ExtensionSnapshot state = options_.hub.snapshot(subscription.hub_key);
  // The live dialogs say it all: ended ones are reported only when this set moved.
  std::string live_dialogs;
  for (const ExtensionDialog& dialog : state.dialogs) {
    for (const std::string* part : {&dialog.id, &dialog.call_id, &dialog.local_tag,
                                    &dialog.remote_tag, &dialog.remote_party}) {
      live_dialogs += *part;
      live_dialogs += '\n';
    }
    live_dialogs += static_cast<char>('0' + static_cast<int>(dialog.phase));
    live_dialogs += static_cast<char>('0' + static_cast<int>(dialog.direction));
  }
  fingerprint = std::hash<std::string>{}(live_dialogs);
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

std::string SubscriptionService::presence_body(Subscription& subscription) {
  std::int64_t registered_until = 0;
  std::string body = presence_document(subscription.tenant, subscription.extension,
                                       subscription.entity, subscription.hub_key, registered_until);
  arm_lapse(subscription, registered_until);
  return body;
}

std::string SubscriptionService::presence_document(store::TenantId tenant,
                                                   const std::string& extension,
                                                   const std::string& entity,
                                                   const std::string& hub_key,
                                                   std::int64_t& registered_until) {
  const ExtensionSnapshot state = options_.hub.snapshot(hub_key);
  PresenceInputs inputs;
  const auto bindings = options_.location.lookup(tenant, extension);
  inputs.registered = !bindings.empty();
  registered_until = 0;
  for (const store::Binding& binding : bindings) {
    registered_until = std::max<std::int64_t>(registered_until, binding.expires_at);
  }
  inputs.do_not_disturb = state.do_not_disturb;
  inputs.user = state.user;
  for (const ExtensionDialog& dialog : state.dialogs) {
    if (dialog.phase == CallPhase::kConfirmed) inputs.in_call = true;
    if (dialog.phase == CallPhase::kRinging) inputs.ringing = true;
  }
  return build_pidf(entity, derive_presence(inputs));
}

std::optional<ResourceListState::Notification> SubscriptionService::list_notification(
    Subscription& subscription, bool full_state) {
  std::vector<std::string> documents;
  documents.reserve(subscription.member_extensions.size());
  std::int64_t earliest_lapse = 0;
  for (std::size_t i = 0; i < subscription.member_extensions.size(); ++i) {
    const std::string& number = subscription.member_extensions[i];
    std::int64_t registered_until = 0;
    documents.push_back(presence_document(subscription.tenant, number,
                                          "sip:" + number + "@" + subscription.domain,
                                          subscription.member_keys[i], registered_until));
    if (registered_until != 0 && (earliest_lapse == 0 || registered_until < earliest_lapse)) {
      earliest_lapse = registered_until;
    }
  }
  arm_lapse(subscription, earliest_lapse);
  return subscription.list->next(documents, content_type_of(EventPackage::kPresence), full_state);
}

void SubscriptionService::send_notify(Subscription& subscription, bool only_if_changed) {
  if (subscription.final_sent) return;
  if (subscription.pending != 0) {
    subscription.dirty = true;
    subscription.must_send = subscription.must_send || !only_if_changed;
    return;
  }
  only_if_changed = only_if_changed && !subscription.must_send && !subscription.terminated;
  subscription.dirty = false;
  subscription.must_send = false;
  std::string body;
  std::string list_content_type;
  std::size_t fingerprint = 0;
  if (subscription.list) {
    auto notification = list_notification(subscription, !only_if_changed);
    if (!notification) {
      ++stats_.notifies_skipped;
      return;
    }
    body = std::move(notification->body.body);
    list_content_type = std::move(notification->body.content_type);
    // Members that did not fit follow in the next NOTIFY, once this one is answered.
    subscription.dirty = notification->more;
  } else {
    switch (subscription.package) {
      case EventPackage::kDialog:
        body = dialog_body(subscription, fingerprint);
        break;
      case EventPackage::kPresence:
        body = presence_body(subscription);
        fingerprint = std::hash<std::string>{}(body);
        break;
      case EventPackage::kMessageSummary:
        body = message_summary_body(subscription);
        fingerprint = std::hash<std::string>{}(body);
        break;
    }
    if (only_if_changed && subscription.reported_once && fingerprint == subscription.fingerprint) {
      ++stats_.notifies_skipped;
      return;
    }
    subscription.reported_once = true;
    subscription.fingerprint = fingerprint;
  }
  std::string lines = subscription.event_line;
  if (subscription.list) lines += "Require: eventlist\r\n";
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
  notify.content_type = subscription.list ? std::string_view(list_content_type)
                                          : content_type_of(subscription.package);
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
    send_notify(*subscription, true);
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
  lapses_.cancel(subscription.lapse);
  subscription.lapse = kNoTimer;
  stop_watching(subscription);
  send_notify(subscription);
}

void SubscriptionService::arm_lapse(Subscription& subscription, std::int64_t registered_until) {
  lapses_.cancel(subscription.lapse);
  subscription.lapse = kNoTimer;
  if (registered_until == 0 || subscription.terminated) return;
  // A binding is gone once its expires_at is not in the future (LocationTable::lookup). At least
  // a second: a wall clock that disagrees with the loop's clock must not make the timer spin.
  const std::int64_t left = std::max<std::int64_t>(registered_until - unix_now(), 1);
  subscription.lapse =
      lapses_.schedule(options_.clock.now() + std::chrono::seconds(left), subscription.id);
}

std::int64_t SubscriptionService::unix_now() const {
  if (options_.unix_clock) return options_.unix_clock();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SubscriptionService::stop_watching(Subscription& subscription) {
  if (!subscription.watching) return;
  subscription.watching = false;
  options_.hub.release(subscription.tenant, subscription.device);
  for (const std::string& key : subscription.watched_keys()) {
    auto it = by_extension_.find(key);
    if (it == by_extension_.end()) continue;  // a fetch never watched
    auto& ids = it->second;
    const auto before = ids.size();
    ids.erase(std::remove(ids.begin(), ids.end(), subscription.id), ids.end());
    if (ids.size() != before) options_.hub.unwatch(options_.worker, key);
    if (ids.empty()) by_extension_.erase(it);
  }
}

void SubscriptionService::remove(std::uint64_t id) {
  Subscription* subscription = find(id);
  if (subscription == nullptr) return;
  stop_watching(*subscription);
  timers_.cancel(subscription->expiry);
  lapses_.cancel(subscription->lapse);
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
  const TimePoint lapse = lapses_.next_deadline().value_or(TimePoint::max());
  return std::min({expiry, lapse, coalescer_.next_deadline().value_or(TimePoint::max())});
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
  while (auto lapsed = lapses_.pop_due(now)) {
    Subscription* subscription = find(lapsed->cookie);
    if (subscription == nullptr || subscription->lapse != lapsed->id) continue;
    subscription->lapse = kNoTimer;
    send_notify(*subscription, true);  // re-arms itself when the binding was refreshed
  }
  for (const std::string& key : coalescer_.take_due(now)) {
    auto it = by_extension_.find(key);
    if (it == by_extension_.end()) continue;
    const std::vector<std::uint64_t> ids = it->second;  // send_notify may drop subscriptions
    for (std::uint64_t id : ids) {
      if (Subscription* subscription = find(id)) send_notify(*subscription, true);
    }
  }
}

}  // namespace parley::sip
