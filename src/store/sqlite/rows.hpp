#pragma once
// Private to store/sqlite/: what every SQLite store file needs to turn values into statements and
// statements into values — the store's error kinds, binding parameters in order, running or
// probing a statement in one call, stepping through result rows, and the call-record row reader
// that the
// SIP side and the REST API's searches share (column order: id, tenant_id, call_id, caller,
// callee, start_ms, answer_ms, end_ms, disposition, hangup_side, end_reason).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "store/sqlite/connection.hpp"
#include "store/store.hpp"

namespace parley::store::sqlite {

inline Error not_found(std::string message) {
  return make_store_error(StoreError::kNotFound, std::move(message));
}
inline Error conflict(std::string message) {
  return make_store_error(StoreError::kConflict, std::move(message));
}
inline Error invalid(std::string message) {
  return make_store_error(StoreError::kInvalidInput, std::move(message));
}

// One parameter; an empty optional binds NULL (the "?1 IS NULL OR column = ?1" filters).
inline void bind_value(Statement& statement, int index, std::int64_t value) {
  statement.bind(index, value);
}
inline void bind_value(Statement& statement, int index, std::string_view text) {
  statement.bind(index, text);
}
template <typename T>
void bind_value(Statement& statement, int index, const std::optional<T>& value) {
  if (value) {
    bind_value(statement, index, *value);
  } else {
    statement.bind_null(index);
  }
}

// Binds `values` to parameters 1, 2, 3, ... in order.
template <typename... Values>
Statement& bind_all(Statement& statement, const Values&... values) {
  int index = 0;
  (bind_value(statement, ++index, values), ...);
  return statement;
}

// The cached statement for `sql` with `values` bound to its parameters in order.
template <std::size_t N, typename... Values>
Result<Statement> prepare_bound(Connection& connection, const char (&sql)[N],
                                const Values&... values) {
  auto statement = connection.prepare(sql);
  if (!statement) return statement.error();
  bind_all(*statement, values...);
  return statement;
}

// Runs a statement that returns no rows (INSERT, UPDATE, DELETE) with `values` bound.
template <std::size_t N, typename... Values>
Result<void> run_bound(Connection& connection, const char (&sql)[N], const Values&... values) {
  auto statement = prepare_bound(connection, sql, values...);
  if (!statement) return statement.error();
  return statement->run();
}

// Whether the query `sql` with `values` bound yields at least one row.
template <std::size_t N, typename... Values>
Result<bool> row_exists(Connection& connection, const char (&sql)[N], const Values&... values) {
  auto statement = prepare_bound(connection, sql, values...);
  if (!statement) return statement.error();
  return statement->step();
}

// Every remaining row of `statement`, each read by `read` (a Result-returning row reader).
template <typename Reader>
auto collect_rows(Statement& statement, Reader read)
    -> Result<std::vector<std::decay_t<decltype(read(statement).value())>>> {
  std::vector<std::decay_t<decltype(read(statement).value())>> rows;
  while (true) {
    auto row = statement.step();
    if (!row) return row.error();
    if (!*row) return rows;
    auto value = read(statement);
    if (!value) return value.error();
    rows.push_back(std::move(value).value());
  }
}

// The one row of `statement`, or kNotFound with `missing`.
template <typename Reader>
auto single_row(Statement& statement, Reader read, const std::string& missing)
    -> decltype(read(statement)) {
  auto row = statement.step();
  if (!row) return row.error();
  if (!*row) return not_found(missing);
  return read(statement);
}

// The next row of `statement` read by `read`, or an empty optional when there is none.
template <typename Reader>
auto optional_row(Statement& statement, Reader read)
    -> Result<std::optional<std::decay_t<decltype(read(statement).value())>>> {
  using Value = std::decay_t<decltype(read(statement).value())>;
  auto row = statement.step();
  if (!row) return row.error();
  if (!*row) return std::optional<Value>();
  auto value = read(statement);
  if (!value) return value.error();
  return std::optional<Value>(std::move(value).value());
}

// A row reader for single-column text queries (member lists, trunk lists).
inline Result<std::string> read_text(const Statement& row) {
  return row.column_text(0);
}

inline std::optional<std::int64_t> optional_int(const Statement& row, int column) {
  if (row.column_is_null(column)) return std::nullopt;
  return row.column_int(column);
}

Result<CallRecord> read_call_record(const Statement& row);

}  // namespace parley::store::sqlite
