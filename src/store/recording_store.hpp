#pragma once
// RecordingStore: call-recording policy and the list of recordings made.
//
// Policy: a tenant records all its calls or none by default; an extension inherits that, or
// always or never records its calls. A call is recorded when either party's extension says so
// (the caller's or the callee's effective policy is "record"), and never when either says
// "never" (privacy wins over a tenant default, see docs/feature-codes.md for on-demand).
// Policy changes move Store::change_counter() (they are columns of tenants and extensions), so
// a running server notices them like any other directory change.
//
// Recordings: one row per file written, beside the call record of the same call (matched by
// tenant and SIP Call-ID). Rows go with their tenant.
//
// A separate interface from Store so that SIP code and its test fakes do not grow; SqliteStore
// implements it (sqlite/sqlite_recording_store.cpp, schema migration 4).
// Thread-safety and blocking: as Store (every call may block on disk).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace parley::store {

using RecordingId = std::int64_t;

enum class ExtensionRecording : std::uint8_t { kInherit, kAlways, kNever };
std::string_view to_text(ExtensionRecording mode);  // "inherit", "always", "never"
std::optional<ExtensionRecording> parse_extension_recording(std::string_view text);

inline constexpr std::size_t kMaxRecordingPage = 1000;

// The whole policy, for an in-memory snapshot.
struct RecordingPolicies {
  struct TenantPolicy {
    TenantId tenant_id = 0;
    std::string domain;
    bool record_all = false;
  };
  struct ExtensionPolicy {
    TenantId tenant_id = 0;
    std::string number;
    ExtensionRecording mode = ExtensionRecording::kInherit;
  };
  std::vector<TenantPolicy> tenants;
  std::vector<ExtensionPolicy> extensions;  // only those not inheriting
};

struct Recording {
  RecordingId id = 0;  // assigned by insert_recording; ignored on input
  TenantId tenant_id = 0;
  std::string call_id;  // SIP Call-ID of the caller's leg, as in the call record
  std::string caller;
  std::string callee;
  std::string path;  // absolute path of the file
  std::uint64_t size_bytes = 0;
  std::uint64_t duration_ms = 0;
  UnixMillis started_at = 0;
};

// Where a page of recordings continues: after the row with this start and id (the list is newest
// first, so "after" means older). Both keys, because many recordings start in the same millisecond.
struct RecordingCursor {
  UnixMillis started_at = 0;
  RecordingId id = 0;
};

struct RecordingQuery {
  std::optional<TenantId> tenant;
  std::string extension;  // empty = any; else the caller or the callee
  std::optional<RecordingCursor> after;
  std::size_t limit = 100;
};

class RecordingStore {
 public:
  virtual ~RecordingStore() = default;
  RecordingStore() = default;
  RecordingStore(const RecordingStore&) = delete;
  RecordingStore& operator=(const RecordingStore&) = delete;

  virtual Result<void> set_tenant_recording(TenantId tenant, bool record_all) = 0;
  virtual Result<void> set_extension_recording(TenantId tenant, std::string_view number,
                                               ExtensionRecording mode) = 0;
  virtual Result<RecordingPolicies> recording_policies() = 0;
  virtual Result<RecordingId> insert_recording(const Recording& recording) = 0;
  // Newest first (started_at, then id, both descending), older than query.after when given;
  // limit capped at kMaxRecordingPage.
  virtual Result<std::vector<Recording>> list_recordings(const RecordingQuery& query) = 0;
  // The tenant's recording `id`, or nullopt when the tenant has none of that id.
  virtual Result<std::optional<Recording>> find_recording(TenantId tenant, RecordingId id) = 0;
};

}  // namespace parley::store
