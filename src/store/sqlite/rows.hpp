#pragma once
// Private to store/sqlite/: what every SQLite store file needs to turn statements into values —
// the store's error kinds, stepping through result rows, and the call-record row reader that the
// SIP side and the REST API's searches share (column order: id, tenant_id, call_id, caller,
// callee, start_ms, answer_ms, end_ms, disposition, hangup_side, end_reason).

#include <cstdint>
#include <optional>
#include <string>
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

inline std::optional<std::int64_t> optional_int(const Statement& row, int column) {
  if (row.column_is_null(column)) return std::nullopt;
  return row.column_int(column);
}

Result<CallRecord> read_call_record(const Statement& row);

}  // namespace parley::store::sqlite
