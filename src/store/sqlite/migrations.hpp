#pragma once
// The SQLite schema: every change is a numbered migration in migrations.cpp, the one place the
// schema is written down. A migration is never edited once released; a change is a new number.
//
// migrate() brings a database up to the newest version this binary knows, one migration per
// write transaction, recording each in `schema_migrations`. A database that already records a
// version newer than the binary knows is refused (StoreError::kSchemaTooNew) and left untouched:
// an older Parley must not guess at data written by a newer one.

#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "store/sqlite/connection.hpp"
#include "store/store.hpp"

namespace parley::store::sqlite {

struct Migration {
  int version;  // 1, 2, 3 ... without gaps
  std::string_view name;
  std::string_view sql;
};

// The built-in migrations, oldest first.
std::span<const Migration> migrations();

// The newest schema version this binary knows.
int latest_schema_version();

// "PRLY" in the SQLite header's application_id field: lets us tell a Parley database from some
// other SQLite file that happens to be called parley.db.
inline constexpr std::int64_t kApplicationId = 0x50524c59;

// Applies pending migrations; returns the schema version afterwards. `path` names the file in
// error messages. `now` stamps schema_migrations.applied_at.
Result<int> migrate(Connection& connection, const std::string& path, UnixSeconds now);

}  // namespace parley::store::sqlite
