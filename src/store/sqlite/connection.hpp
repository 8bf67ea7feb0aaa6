#pragma once
// Thin RAII layer over the SQLite C API for the sqlite backend: a connection that owns its
// cached prepared statements, a scoped statement that resets itself, and a write transaction
// that rolls back unless committed. sqlite3.h stays in the .cpp files; only the opaque handle
// types are named here.
//
// None of these types is thread-safe; SqliteStore serialises access with its mutex.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace parley::store::sqlite {

struct DatabaseCloser {
  void operator()(sqlite3* db) const;
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const;
};
using DatabaseHandle = std::unique_ptr<sqlite3, DatabaseCloser>;
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// `error` with "what: " in front of its message; the code is kept.
Error in_context(std::string_view what, Error error);

// A cached prepared statement borrowed for one use. Binding is 1-based as in SQLite. The
// destructor resets the statement and clears its bindings, so that a cached statement never
// keeps a read transaction (and with it an old WAL snapshot) open between calls.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // A failed bind is remembered and reported by the next step().
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_null(int index);

  // One step: true when a row is ready, false when the statement is done.
  Result<bool> step();
  // Steps to completion; for statements that return no rows.
  Result<void> run();

  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  bool column_is_null(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_;
  int bind_error_ = 0;  // first non-OK result code of a bind call
};

// How far a committed transaction must survive. kProcessCrash is WAL with synchronous=NORMAL
// (survives kill -9); kPowerLoss additionally fsyncs the WAL at commit (synchronous=FULL).
enum class Durability : std::uint8_t { kProcessCrash, kPowerLoss };

// One open database file with its statement cache.
class Connection {
 public:
  // Opens (creating if needed) the file in read-write mode with extended result codes.
  static Result<Connection> open(const std::string& path, std::chrono::milliseconds busy_timeout);

  // Runs one or more statements that return no rows (PRAGMA settings, migrations).
  Result<void> exec(std::string_view sql);

  // Returns a cached statement for `sql`, preparing it on first use. The cache is keyed by the
  // address of the text, so only string literals are accepted. A statement is not re-entrant:
  // do not prepare the same text again while a previous Statement for it is alive.
  template <std::size_t N>
  Result<Statement> prepare(const char (&sql)[N]) {
    return prepare_cached(std::string_view(sql, N - 1));
  }

  // Sets synchronous=NORMAL (kProcessCrash) or FULL (kPowerLoss) for the commits that follow,
  // unless the connection already has that setting; outside a transaction only. A PRAGMA
  // synchronous statement is re-planned on every run (it expires itself), ~7,500 instructions,
  // so a run of call-record transactions no longer switches to FULL and back each time
  // (decision 0053).
  Result<void> use_durability(Durability durability);

  std::int64_t last_insert_rowid() const;
  // Rows changed by the most recent INSERT, UPDATE or DELETE on this connection.
  std::int64_t changes() const;

  // An Error for the most recent failure on this connection: the SQLite message, with `what`
  // in front, and a StoreError code chosen from `result_code`.
  Error error(std::string_view what, int result_code) const;
  sqlite3* handle() const { return db_.get(); }

 private:
  explicit Connection(DatabaseHandle db) : db_(std::move(db)) {}
  Result<Statement> prepare_cached(std::string_view sql);

  DatabaseHandle db_;
  // Declared after db_ so that statements are finalised before the database closes.
  std::unordered_map<const char*, StatementHandle> cache_;
  // The synchronous setting use_durability() last applied; unknown until the first.
  std::optional<Durability> durability_;
};

// A write transaction started with BEGIN IMMEDIATE, so that it takes the write lock up front
// (waiting up to the busy timeout) instead of failing with SQLITE_BUSY_SNAPSHOT when a read
// transaction later tries to upgrade. Rolls back on destruction unless committed.
//
// Begun while the connection is already inside a transaction (a batch, see
// Store::write_batch), it becomes a SAVEPOINT instead: commit() releases it into the outer
// transaction and destruction rolls back only its own changes. Durability then follows the
// outer transaction.
class WriteTransaction {
 public:
  static Result<WriteTransaction> begin(Connection& connection, Durability durability);
  ~WriteTransaction();
  WriteTransaction(WriteTransaction&& other) noexcept;
  WriteTransaction& operator=(WriteTransaction&&) = delete;
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;

  Result<void> commit();

 private:
  WriteTransaction(Connection& connection, Durability durability, bool nested)
      : connection_(&connection), durability_(durability), nested_(nested) {}
  void finish(std::string_view statement);

  Connection* connection_;  // null once committed, rolled back or moved from
  Durability durability_;
  bool nested_;  // a savepoint inside an outer transaction
};

}  // namespace parley::store::sqlite
