#include "store/sqlite/connection.hpp"

#include <sqlite3.h>

#include <limits>

#include "base/check.hpp"
#include "store/store.hpp"

namespace parley::store::sqlite {

void DatabaseCloser::operator()(sqlite3* db) const {
  // close_v2 never fails with SQLITE_BUSY: should a statement outlive us by mistake, the
  // handle becomes a zombie that closes when that statement is finalised.
  sqlite3_close_v2(db);
}

void StatementFinalizer::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

Error in_context(std::string_view what, Error error) {
  if (!what.empty()) error.message = std::string(what) + ": " + error.message;
  return error;
}

namespace {

Error sqlite_error(sqlite3* db, int result_code) {
  const int primary = result_code & 0xff;
  StoreError kind = StoreError::kBackend;
  std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(result_code);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    kind = StoreError::kBusy;
    message += " (another process held the write lock longer than the busy timeout)";
  } else if (primary == SQLITE_CONSTRAINT) {
    kind = StoreError::kConflict;
  }
  return make_store_error(kind, std::move(message));
}

}  // namespace

// --- Statement ---------------------------------------------------------------------------------

Statement::~Statement() {
  if (statement_ == nullptr) return;
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), statement_(other.statement_), bind_error_(other.bind_error_) {
  other.statement_ = nullptr;
}

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(statement_, index, value);
  if (bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // Validation caps every string far below this; the check keeps the cast honest.
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    if (bind_error_ == SQLITE_OK) bind_error_ = SQLITE_TOOBIG;
    return *this;
  }
  // SQLITE_TRANSIENT: SQLite copies the text, so callers may pass temporaries.
  const int rc = sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                                   SQLITE_TRANSIENT);
  if (bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(statement_, index);
  if (bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Result<bool> Statement::step() {
  if (bind_error_ != SQLITE_OK) {
    return make_store_error(StoreError::kBackend, std::string("binding a parameter failed: ") +
                                                      sqlite3_errstr(bind_error_));
  }
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db_, rc);
}

Result<void> Statement::run() {
  while (true) {
    auto row = step();
    if (!row) return row.error();
    if (!*row) return {};
  }
}

std::int64_t Statement::column_int(int index) const {
  return sqlite3_column_int64(statement_, index);
}

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(statement_, index);
  const int length = sqlite3_column_bytes(statement_, index);
  if (text == nullptr || length <= 0) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(length));
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(statement_, index) == SQLITE_NULL;
}

// --- Connection --------------------------------------------------------------------------------

Result<Connection> Connection::open(const std::string& path,
                                    std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  // NOMUTEX: SqliteStore already serialises every call, SQLite's own mutex would be redundant.
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DatabaseHandle db(raw);
  if (rc != SQLITE_OK) return in_context("cannot open " + path, sqlite_error(db.get(), rc));
  const auto timeout_ms = busy_timeout.count();
  sqlite3_busy_timeout(db.get(), timeout_ms > std::numeric_limits<int>::max()
                                     ? std::numeric_limits<int>::max()
                                     : static_cast<int>(timeout_ms));
  return Connection(std::move(db));
}

Result<void> Connection::exec(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec wants a terminated string
  char* message = nullptr;
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
  // sqlite3_exec allocates the message with sqlite3_malloc; own it until it is copied.
  std::unique_ptr<char, decltype(&sqlite3_free)> owned(message, &sqlite3_free);
  if (rc == SQLITE_OK) return {};
  return error("", rc);
}

Result<Statement> Connection::prepare_cached(std::string_view sql) {
  auto found = cache_.find(sql.data());
  if (found == cache_.end()) {
    sqlite3_stmt* raw = nullptr;
    // PERSISTENT tells SQLite the statement lives long, so it avoids its lookaside memory.
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    StatementHandle statement(raw);
    if (rc != SQLITE_OK) return error("preparing SQL", rc);
    found = cache_.emplace(sql.data(), std::move(statement)).first;
  }
  PARLEY_ASSERT(sqlite3_stmt_busy(found->second.get()) == 0);
  return Statement(db_.get(), found->second.get());
}

Result<void> Connection::use_durability(Durability durability) {
  if (durability_ == durability) return {};
  auto set = exec(durability == Durability::kPowerLoss ? "PRAGMA synchronous = FULL"
                                                       : "PRAGMA synchronous = NORMAL");
  if (!set) return set.error();
  durability_ = durability;
  return {};
}

std::int64_t Connection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_.get());
}

std::int64_t Connection::changes() const {
  return sqlite3_changes64(db_.get());
}

Error Connection::error(std::string_view what, int result_code) const {
  return in_context(what, sqlite_error(db_.get(), result_code));
}

// --- WriteTransaction --------------------------------------------------------------------------

Result<WriteTransaction> WriteTransaction::begin(Connection& connection, Durability durability) {
  if (sqlite3_get_autocommit(connection.handle()) == 0) {
    auto statement = connection.prepare("SAVEPOINT parley_nested");
    auto savepoint = statement ? statement->run() : Result<void>(statement.error());
    if (!savepoint) return in_context("starting a nested write", savepoint.error());
    return WriteTransaction(connection, durability, /*nested=*/true);
  }
  // Set outside the transaction, for its commit; it stays until a transaction asks otherwise.
  auto synchronous = connection.use_durability(durability);
  if (!synchronous) return synchronous.error();
  auto begin = connection.prepare("BEGIN IMMEDIATE");
  auto started = begin ? begin->run() : Result<void>(begin.error());
  if (!started) return in_context("starting a write transaction", started.error());
  return WriteTransaction(connection, durability, /*nested=*/false);
}

WriteTransaction::WriteTransaction(WriteTransaction&& other) noexcept
    : connection_(other.connection_), durability_(other.durability_), nested_(other.nested_) {
  other.connection_ = nullptr;
}

WriteTransaction::~WriteTransaction() {
  if (connection_ == nullptr) return;
  finish(nested_ ? "ROLLBACK TO parley_nested; RELEASE parley_nested" : "ROLLBACK");
}

Result<void> WriteTransaction::commit() {
  PARLEY_CHECK(connection_ != nullptr);
  if (nested_) {
    auto statement = connection_->prepare("RELEASE parley_nested");
    auto released = statement ? statement->run() : Result<void>(statement.error());
    if (!released) return in_context("releasing a nested write", released.error());
    connection_ = nullptr;
    return {};
  }
  auto statement = connection_->prepare("COMMIT");
  if (!statement) return statement.error();
  auto done = statement->run();
  // On failure the destructor rolls back; report what the commit said.
  if (!done) return in_context("committing", done.error());
  connection_ = nullptr;
  return {};
}

void WriteTransaction::finish(std::string_view statement) {
  Connection* connection = connection_;
  connection_ = nullptr;
  // A failed ROLLBACK means SQLite already rolled back (e.g. after an I/O error); nothing to do.
  (void)connection->exec(statement);
}

}  // namespace parley::store::sqlite
