#pragma once
// What the web admin and the REST API need from the store beyond the SIP side's Store: admin
// accounts, web sessions, API tokens, in-place updates of tenants and extensions, call-record
// search and counts.
//
// A separate interface so that the SIP layers (and their test fakes) keep depending on Store
// alone; a backend implements both (SqliteStore does). Same rules as Store: Result<T> with a
// StoreError code, nothing throws, every call may block on disk.
//
// Secrets never reach the store in the clear: admin passwords arrive as argon2id strings
// (crypto_pwhash_str), session ids and API tokens as the lower-case hex SHA-256 of the secret,
// computed by the caller (http/api/credentials.hpp). The store checks only their shape.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::store {

using AdminId = std::int64_t;
using ApiTokenId = std::int64_t;

inline constexpr std::size_t kMaxAdminNameLength = 64;
inline constexpr std::size_t kMaxTokenNameLength = 64;
inline constexpr std::size_t kMaxPasswordHashLength = 256;
inline constexpr std::size_t kSecretDigestLength = 64;  // SHA-256 in hex
inline constexpr std::size_t kMaxCsrfTokenLength = 128;

// system_admin sees and changes everything; tenant_admin only its own tenant.
enum class AdminRole : std::uint8_t { kSystemAdmin, kTenantAdmin };
std::string_view to_text(AdminRole role);  // "system_admin", "tenant_admin"
std::optional<AdminRole> parse_admin_role(std::string_view text);

// A person who administers the installation through the web admin or the API. `name` is 1-64
// letters, digits, '.', '_' or '-' (no '@': a sign-in name with '@' is an extension).
// `tenant_id` is set exactly for a tenant_admin.
struct AdminAccount {
  AdminId id = 0;
  std::string name;
  std::string password_hash;  // argon2id, as crypto_pwhash_str writes it
  AdminRole role = AdminRole::kSystemAdmin;
  std::optional<TenantId> tenant_id;
  UnixSeconds created_at = 0;
  UnixSeconds updated_at = 0;
};

struct NewAdminAccount {
  std::string name;
  std::string password_hash;
  AdminRole role = AdminRole::kSystemAdmin;
  std::optional<TenantId> tenant_id;
};

// A signed-in browser. Exactly one of admin_id (an admin) or tenant_id + extension (an extension
// user, role "user") is set. Removing the admin, the extension or the tenant removes the session.
struct WebSession {
  std::string id_digest;  // SHA-256 hex of the cookie value
  std::optional<AdminId> admin_id;
  std::optional<TenantId> tenant_id;  // set for extension users only
  std::string extension;              // empty for admins
  std::string csrf_token;             // sent back in X-CSRF-Token; compared, never looked up
  UnixSeconds created_at = 0;
  UnixSeconds expires_at = 0;
};

// A bearer token for scripts, with tenant_admin rights over one tenant.
struct ApiToken {
  ApiTokenId id = 0;
  std::string token_digest;  // SHA-256 hex of the token
  TenantId tenant_id = 0;
  std::string name;  // unique within the tenant; same characters as admin names
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> last_used_at;
};

struct NewApiToken {
  std::string token_digest;
  TenantId tenant_id = 0;
  std::string name;
};

// Fields of a tenant to change; absent ones stay. is_default = true makes it the only default,
// false clears it if it was the default.
struct TenantUpdate {
  std::optional<std::string> display_name;
  std::optional<bool> is_default;
};

struct ExtensionUpdate {
  std::optional<std::string> display_name;
  std::optional<Credentials> credentials;  // also ends the extension's web sessions
};

// Where a page of call records ends: the next page starts after this (start, id), newest first.
struct CallRecordCursor {
  UnixMillis start_ms = 0;
  CallRecordId id = 0;
};

// Filters for search_call_records; all optional except tenant and limit.
struct CallRecordQuery {
  TenantId tenant = 0;
  std::optional<UnixMillis> from_ms;  // start_ms >= from_ms
  std::optional<UnixMillis> to_ms;    // start_ms < to_ms
  std::string extension;              // caller or callee equals it; empty = any
  std::optional<Disposition> disposition;
  std::optional<CallRecordCursor> after;
  std::size_t limit = 100;  // 1..kMaxCallRecordPage
};

struct InstallationCounts {
  std::size_t tenants = 0;
  std::size_t extensions = 0;
  std::size_t live_bindings = 0;
  std::size_t call_records = 0;
};

// Shape checks shared by every backend (pure, any thread).
Result<void> check_admin_name(std::string_view name);
Result<void> check_token_name(std::string_view name);
Result<void> check_password_hash(std::string_view hash);
Result<std::string> normalize_secret_digest(std::string_view what, std::string_view digest);

class AdminStore {
 public:
  virtual ~AdminStore() = default;
  AdminStore() = default;
  AdminStore(const AdminStore&) = delete;
  AdminStore& operator=(const AdminStore&) = delete;

  // --- admin accounts --------------------------------------------------------------------
  // kConflict for a taken name; kNotFound for an unknown tenant; kInvalidInput when the role
  // and tenant disagree.
  virtual Result<AdminAccount> add_admin(const NewAdminAccount& admin) = 0;
  virtual Result<std::vector<AdminAccount>> list_admins() = 0;  // by name
  virtual Result<AdminAccount> get_admin(AdminId id) = 0;
  virtual Result<AdminAccount> get_admin_by_name(std::string_view name) = 0;
  // Replaces the hash and ends every web session of that admin, in one transaction.
  virtual Result<void> set_admin_password_hash(std::string_view name,
                                               std::string_view password_hash) = 0;
  virtual Result<void> remove_admin(std::string_view name) = 0;

  // --- web sessions ------------------------------------------------------------------------
  virtual Result<void> add_web_session(const WebSession& session) = 0;
  // kNotFound when unknown or expired at `now`.
  virtual Result<WebSession> get_web_session(std::string_view id_digest, UnixSeconds now) = 0;
  virtual Result<bool> remove_web_session(std::string_view id_digest) = 0;
  virtual Result<std::size_t> purge_expired_web_sessions(UnixSeconds now) = 0;

  // --- API tokens --------------------------------------------------------------------------
  // kConflict when the tenant already has a token with that name.
  virtual Result<ApiToken> add_api_token(const NewApiToken& token) = 0;
  virtual Result<ApiToken> find_api_token(std::string_view token_digest) = 0;
  // Records a use at `now`; writes at most once a minute per token.
  virtual Result<void> touch_api_token(ApiTokenId id, UnixSeconds now) = 0;
  virtual Result<std::vector<ApiToken>> list_api_tokens(TenantId tenant) = 0;  // by name

  // --- tenants and extensions in place -----------------------------------------------------
  // All fields or none change (one transaction); moves the change counter when something did.
  virtual Result<Tenant> update_tenant(TenantId id, const TenantUpdate& update) = 0;
  virtual Result<Extension> update_extension(TenantId tenant, std::string_view number,
                                             const ExtensionUpdate& update) = 0;

  // --- reports -----------------------------------------------------------------------------
  // Newest start first, at most query.limit records; kNotFound for an unknown tenant.
  virtual Result<std::vector<CallRecord>> search_call_records(const CallRecordQuery& query) = 0;
  // Of one tenant, or of the whole installation when `tenant` is empty.
  virtual Result<InstallationCounts> count_objects(std::optional<TenantId> tenant,
                                                   UnixSeconds now) = 0;
  // Bindings unexpired at `now`, per tenant (tenants without any are left out): the admin
  // dashboard's live registration counts.
  virtual Result<std::vector<std::pair<TenantId, std::size_t>>> count_live_bindings(
      UnixSeconds now) = 0;
};

}  // namespace parley::store
