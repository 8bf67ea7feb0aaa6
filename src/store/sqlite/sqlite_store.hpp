#pragma once
// The embedded Store backend: one SQLite file, `parley.db`, in the data folder.
//
// Settings: WAL journal (readers never block the writer), synchronous=NORMAL, foreign keys on,
// a busy timeout so that the CLI and a running server can both write the same file. Tenant and
// extension changes and call records commit with synchronous=FULL; bindings with NORMAL (see
// docs/decisions/0002-store.md for why).
//
// Thread-safety: every method may be called from any thread; one internal mutex serialises the
// calls over the single connection. Every call may block on disk I/O or, for up to the busy
// timeout, on another process's write lock, so event-loop code must reach the store through a
// worker thread (the async wrapper that comes with the registrar), never directly.
//
// Several processes may open the same folder at once; each sees the others' committed changes,
// and change_counter() tells when tenants or extensions moved.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "store/admin_store.hpp"
#include "store/call_feature_store.hpp"
#include "store/call_limits_store.hpp"
#include "store/call_queue_store.hpp"
#include "store/chat_store.hpp"
#include "store/conference_store.hpp"
#include "store/device_store.hpp"
#include "store/ivr_store.hpp"
#include "store/pickup_group_store.hpp"
#include "store/recording_store.hpp"
#include "store/routing_store.hpp"
#include "store/sqlite/connection.hpp"
#include "store/store.hpp"
#include "store/trunk_store.hpp"
#include "store/trunk_tls_store.hpp"
#include "store/voicemail_store.hpp"

namespace parley::store::sqlite {

struct SqliteStoreOptions {
  std::filesystem::path data_dir;
  // Create the folder (mode 0700) if it does not exist. The app may turn this off so that a
  // mistyped --data path fails instead of starting an empty installation.
  bool create_if_missing = true;
  // How long a write waits for another process's write lock before failing with kBusy.
  std::chrono::milliseconds busy_timeout{5000};
  // Wall clock for created_at/updated_at and migration stamps; empty = the system clock.
  std::function<UnixSeconds()> wall_clock;
};

// Implements both Store (the SIP side) and AdminStore (web admin and REST API); the AdminStore
// part lives in sqlite_admin_store.cpp.
class SqliteStore final : public Store,
                          public AdminStore,
                          public RecordingStore,
                          public CallFeatureStore,
                          public ChatStore,
                          public TrunkStore,
                          public TrunkTlsStore,
                          public RoutingStore,
                          public CallLimitsStore,
                          public ConferenceStore,
                          public CallQueueStore,
                          public VoicemailStore,
                          public IvrStore,
                          public PickupGroupStore,
                          public DeviceStore {
  struct Key {};  // only open() constructs a SqliteStore

 public:
  static constexpr std::string_view kFileName = "parley.db";

  // Opens or creates `<data_dir>/parley.db` (file mode 0600: it holds digest credentials) and
  // applies pending migrations. Fails with kSchemaTooNew if the file comes from a newer Parley,
  // kBusy if another process keeps the write lock, kBackend for anything else.
  static Result<std::unique_ptr<SqliteStore>> open(SqliteStoreOptions options);

  SqliteStore(Key key, std::filesystem::path path, Connection connection,
              std::function<UnixSeconds()> wall_clock, int schema_version);
  ~SqliteStore() override;

  const std::filesystem::path& path() const { return path_; }
  int schema_version() const { return schema_version_; }

  Result<Tenant> add_tenant(const NewTenant& tenant) override;
  Result<std::vector<Tenant>> list_tenants() override;
  Result<Tenant> get_tenant(TenantId id) override;
  Result<Tenant> get_tenant_by_domain(std::string_view domain) override;
  Result<Tenant> get_default_tenant() override;
  Result<void> set_default_tenant(TenantId id) override;
  Result<void> remove_tenant(TenantId id) override;

  Result<Extension> add_extension(const NewExtension& extension) override;
  Result<std::vector<Extension>> list_extensions(TenantId tenant) override;
  Result<Extension> get_extension(TenantId tenant, std::string_view number) override;
  Result<void> set_credentials(TenantId tenant, std::string_view number,
                               const Credentials& credentials) override;
  Result<void> remove_extension(TenantId tenant, std::string_view number) override;

  Result<void> upsert_binding(const Binding& binding) override;
  Result<void> refresh_binding(const Binding& binding) override;
  Result<std::vector<Binding>> list_bindings(TenantId tenant, std::string_view extension,
                                             UnixSeconds now) override;
  Result<bool> remove_binding(const BindingKey& key) override;
  Result<std::size_t> remove_bindings(TenantId tenant, std::string_view extension) override;
  Result<std::size_t> purge_expired_bindings(UnixSeconds now) override;
  Result<std::vector<Binding>> list_live_bindings(UnixSeconds now) override;

  Result<CallRecordId> insert_call_record(const CallRecord& record) override;
  std::vector<Result<CallRecordId>> insert_call_records(
      const std::vector<CallRecord>& records) override;
  Result<std::vector<CallRecord>> list_recent_call_records(TenantId tenant,
                                                           std::size_t limit) override;

  Result<std::uint64_t> change_counter() override;
  Result<void> write_batch(const std::function<void()>& body) override;

  Result<AdminAccount> add_admin(const NewAdminAccount& admin) override;
  Result<std::vector<AdminAccount>> list_admins() override;
  Result<AdminAccount> get_admin(AdminId id) override;
  Result<AdminAccount> get_admin_by_name(std::string_view name) override;
  Result<void> set_admin_password_hash(std::string_view name,
                                       std::string_view password_hash) override;
  Result<void> remove_admin(std::string_view name) override;
  Result<void> add_web_session(const WebSession& session) override;
  Result<WebSession> get_web_session(std::string_view id_digest, UnixSeconds now) override;
  Result<bool> remove_web_session(std::string_view id_digest) override;
  Result<std::size_t> purge_expired_web_sessions(UnixSeconds now) override;
  Result<ApiToken> add_api_token(const NewApiToken& token) override;
  Result<ApiToken> find_api_token(std::string_view token_digest) override;
  Result<void> touch_api_token(ApiTokenId id, UnixSeconds now) override;
  Result<std::vector<ApiToken>> list_api_tokens(TenantId tenant) override;
  Result<Tenant> update_tenant(TenantId id, const TenantUpdate& update) override;
  Result<Extension> update_extension(TenantId tenant, std::string_view number,
                                     const ExtensionUpdate& update) override;
  Result<std::vector<CallRecord>> search_call_records(const CallRecordQuery& query) override;
  Result<InstallationCounts> count_objects(std::optional<TenantId> tenant,
                                           UnixSeconds now) override;
  Result<std::vector<std::pair<TenantId, std::size_t>>> count_live_bindings(
      UnixSeconds now) override;

  // RecordingStore (sqlite_recording_store.cpp).
  Result<void> set_tenant_recording(TenantId tenant, bool record_all) override;
  Result<void> set_extension_recording(TenantId tenant, std::string_view number,
                                       ExtensionRecording mode) override;
  Result<RecordingPolicies> recording_policies() override;
  Result<RecordingId> insert_recording(const Recording& recording) override;
  Result<std::vector<Recording>> list_recordings(const RecordingQuery& query) override;
  Result<std::optional<Recording>> find_recording(TenantId tenant, RecordingId id) override;

  // CallFeatureStore (sqlite_call_feature_store.cpp).
  Result<void> set_forward(TenantId tenant, std::string_view extension,
                           const CallForward& forward) override;
  Result<std::size_t> clear_forward(TenantId tenant, std::string_view extension,
                                    std::optional<ForwardCondition> condition) override;
  Result<void> set_dnd(TenantId tenant, std::string_view extension, bool on) override;
  Result<ExtensionCallFeatures> get_call_features(TenantId tenant,
                                                  std::string_view extension) override;
  Result<RingGroup> add_ring_group(const RingGroup& group) override;
  Result<std::vector<RingGroup>> list_ring_groups(TenantId tenant) override;
  Result<RingGroup> get_ring_group(TenantId tenant, std::string_view number) override;
  Result<void> set_ring_group_members(TenantId tenant, std::string_view number,
                                      const std::vector<std::string>& members) override;
  Result<RingGroup> update_ring_group(const RingGroup& group) override;
  Result<void> remove_ring_group(TenantId tenant, std::string_view number) override;
  Result<CallFeatureSnapshot> call_feature_snapshot() override;

  // ChatStore (sqlite_chat_store.cpp).
  Result<Conversation> open_direct_conversation(TenantId tenant, std::string_view first,
                                                std::string_view second, UnixMillis now) override;
  Result<Conversation> create_channel(TenantId tenant, std::string_view name,
                                      std::string_view owner, UnixMillis now) override;
  Result<Conversation> get_conversation(ConversationId id) override;
  Result<std::vector<ConversationSummary>> list_conversations(TenantId tenant,
                                                              std::string_view extension) override;
  Result<std::vector<ChatMember>> list_members(ConversationId conversation) override;
  Result<ChatMember> get_member(ConversationId conversation, std::string_view extension) override;
  Result<void> add_member(ConversationId conversation, std::string_view extension,
                          MemberRole role) override;
  Result<bool> remove_member(ConversationId conversation, std::string_view extension) override;
  Result<ChatMessage> insert_message(const NewChatMessage& message) override;
  Result<ChatMessage> get_message(MessageId id) override;
  Result<ChatMessage> edit_message(MessageId id, std::string_view body, UnixMillis now) override;
  Result<ChatMessage> delete_message(MessageId id, UnixMillis now) override;
  Result<std::vector<ChatMessage>> list_messages(ConversationId conversation,
                                                 std::optional<MessageId> before,
                                                 std::size_t limit) override;
  Result<std::vector<ChatMessage>> search_messages(TenantId tenant, std::string_view extension,
                                                   std::string_view query,
                                                   std::size_t limit) override;
  Result<MessageId> mark_read(ConversationId conversation, std::string_view extension,
                              MessageId up_to) override;
  Result<ChatAttachment> add_attachment(const ChatAttachment& attachment) override;
  Result<std::vector<ChatAttachment>> list_attachments(MessageId message) override;

  // TrunkStore (sqlite_trunk_store.cpp).
  Result<TrunkId> add_trunk(const Trunk& trunk) override;
  Result<void> update_trunk(const Trunk& trunk) override;
  Result<void> remove_trunk(TenantId tenant, std::string_view name) override;
  Result<std::optional<Trunk>> find_trunk(TenantId tenant, std::string_view name) override;
  Result<std::vector<Trunk>> list_trunks(std::optional<TenantId> tenant) override;

  // TrunkTlsStore (sqlite_trunk_tls_store.cpp).
  Result<void> set_trunk_client_tls(const TrunkClientTls& tls) override;
  Result<void> clear_trunk_client_tls(TrunkId trunk) override;
  Result<std::vector<TrunkClientTls>> list_trunk_client_tls() override;

  // RoutingStore (sqlite_routing_store.cpp).
  Result<DidId> add_did(const Did& did) override;
  Result<void> remove_did(TenantId tenant, std::string_view number,
                          std::string_view trunk) override;
  Result<std::vector<Did>> list_dids(std::optional<TenantId> tenant) override;
  Result<OutboundRouteId> add_outbound_route(const OutboundRoute& route) override;
  Result<void> remove_outbound_route(TenantId tenant, std::string_view name) override;
  Result<std::vector<OutboundRoute>> list_outbound_routes(std::optional<TenantId> tenant) override;

  // CallLimitsStore (sqlite_call_limits_store.cpp).
  Result<void> set_call_classes(TenantId tenant, std::string_view number,
                                CallClassSet classes) override;
  Result<CallClassSet> get_call_classes(TenantId tenant, std::string_view number) override;
  Result<std::vector<ExtensionCallClasses>> list_call_classes() override;
  Result<void> set_tenant_call_limits(const TenantCallLimits& limits) override;
  Result<TenantCallLimits> get_tenant_call_limits(TenantId tenant) override;
  Result<std::vector<TenantCallLimits>> list_tenant_call_limits() override;

  // DeviceStore (sqlite_device_store.cpp).
  Result<Device> add_device(const Device& device) override;
  Result<std::vector<Device>> list_devices(TenantId tenant) override;
  Result<Device> find_device(TenantId tenant, DeviceId id) override;
  Result<Device> update_device(const Device& device) override;
  Result<void> remove_device(TenantId tenant, DeviceId id) override;

  // ConferenceStore (sqlite_conference_store.cpp).
  Result<ConferenceRoom> add_conference_room(const ConferenceRoom& room) override;
  Result<ConferenceRoom> update_conference_room(const ConferenceRoom& room) override;
  Result<std::vector<ConferenceRoom>> list_conference_rooms(
      std::optional<TenantId> tenant) override;
  Result<void> remove_conference_room(TenantId tenant, std::string_view number) override;

  // IvrStore (sqlite_ivr_store.cpp).
  Result<void> save_ivr_menu(const IvrMenu& menu) override;
  Result<void> set_ivr_option(TenantId tenant, std::string_view menu, char digit,
                              std::string_view destination) override;
  Result<void> remove_ivr_option(TenantId tenant, std::string_view menu, char digit) override;
  Result<std::vector<IvrMenu>> list_ivr_menus(std::optional<TenantId> tenant) override;
  Result<void> remove_ivr_menu(TenantId tenant, std::string_view name) override;
  Result<void> save_schedule(const Schedule& schedule) override;
  Result<std::vector<Schedule>> list_schedules(std::optional<TenantId> tenant) override;
  Result<void> remove_schedule(TenantId tenant, std::string_view name) override;

  // CallQueueStore (sqlite_call_queue_store.cpp).
  Result<CallQueueConfig> add_call_queue(const CallQueueConfig& queue) override;
  Result<void> update_call_queue(const CallQueueConfig& queue) override;
  Result<void> set_call_queue_members(TenantId tenant, std::string_view number,
                                      const std::vector<std::string>& members) override;
  Result<std::vector<CallQueueConfig>> list_call_queues(std::optional<TenantId> tenant) override;
  Result<void> remove_call_queue(TenantId tenant, std::string_view number) override;

  // PickupGroupStore (sqlite_pickup_group_store.cpp).
  Result<void> add_pickup_group(TenantId tenant, std::string_view name) override;
  Result<void> set_pickup_group_members(TenantId tenant, std::string_view name,
                                        const std::vector<std::string>& members) override;
  Result<std::vector<PickupGroup>> list_pickup_groups(std::optional<TenantId> tenant) override;
  Result<void> remove_pickup_group(TenantId tenant, std::string_view name) override;

  // VoicemailStore (sqlite_voicemail_store.cpp).
  Result<VoicemailId> insert_voicemail(const VoicemailMessage& message) override;
  Result<std::vector<VoicemailMessage>> list_voicemail(TenantId tenant, std::string_view box,
                                                       std::size_t limit) override;
  Result<VoicemailMessage> remove_voicemail(TenantId tenant, std::string_view box,
                                            VoicemailId id) override;
  Result<void> set_voicemail_state(TenantId tenant, std::string_view box, VoicemailId id,
                                   VoicemailState state) override;
  Result<VoicemailCounts> count_voicemail(TenantId tenant, std::string_view box) override;
  Result<std::vector<VoicemailBoxCounts>> list_voicemail_counts() override;
  Result<void> set_voicemail_enabled(TenantId tenant, std::string_view box, bool enabled) override;
  Result<VoicemailSettings> get_voicemail_settings(TenantId tenant, std::string_view box) override;
  Result<void> set_voicemail_pin_hash(TenantId tenant, std::string_view box,
                                      std::string_view pin_hash) override;
  Result<void> set_voicemail_greeting(TenantId tenant, std::string_view box,
                                      std::string_view path) override;
  Result<void> set_voicemail_max_messages(TenantId tenant, std::string_view box,
                                          std::uint32_t max_messages) override;
  Result<std::vector<VoicemailBox>> list_disabled_voicemail_boxes() override;
  Result<void> set_voicemail_email(TenantId tenant, std::string_view box,
                                   std::string_view address) override;
  // The voicemail outbox (sqlite_voicemail_outbox.cpp).
  Result<VoicemailId> insert_voicemail_with_mail(const VoicemailMessage& message,
                                                 std::string_view recipient,
                                                 UnixMillis next_attempt) override;
  Result<std::vector<VoicemailMail>> list_voicemail_mail() override;
  Result<void> reschedule_voicemail_mail(VoicemailId message, std::uint32_t attempts,
                                         UnixMillis next_attempt) override;
  Result<void> remove_voicemail_mail(VoicemailId message) override;

 private:
  UnixSeconds now() const;
  // Lookups used inside other operations; the caller holds mutex_.
  Result<Tenant> find_tenant(TenantId id);
  Result<Tenant> find_tenant_by_domain(const std::string& domain);
  Result<Tenant> get_default_locked();
  Result<Extension> find_extension(TenantId tenant, std::string_view number);
  // The row of a voicemail message inside a write transaction: the id of the row with the same
  // path if there is one (second: false), else of the new row (second: true).
  Result<std::pair<VoicemailId, bool>> index_voicemail_locked(const VoicemailMessage& message);
  // One column of a box's voicemail_settings row (sqlite_voicemail_store.cpp).
  Result<void> set_voicemail_column(TenantId tenant, std::string_view box, std::string_view column,
                                    std::optional<std::string_view> text,
                                    std::optional<std::int64_t> number);
  Result<AdminAccount> find_admin_by_name(std::string_view name);
  Result<Conversation> find_conversation(ConversationId id);
  Result<ChatMessage> find_message(MessageId id);

  const std::filesystem::path path_;
  const std::function<UnixSeconds()> wall_clock_;
  const int schema_version_;
  // Serialises all calls: a SQLite connection and its cached statements are single-threaded.
  // Recursive: write_batch() holds it while the writes inside take it again.
  std::recursive_mutex mutex_;
  Connection connection_;  // guarded by mutex_
};

}  // namespace parley::store::sqlite
