// The TrunkTlsStore half of SqliteStore: which trunks require a client certificate (decision
// 0048). Same locking and transaction rules as sqlite_store.cpp.

#include <string>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::store::sqlite {

Result<void> SqliteStore::set_trunk_client_tls(const TrunkClientTls& tls) {
  const std::string what =
      "requiring a client certificate of trunk " + std::to_string(tls.trunk_id);
  if (tls.ca_file.empty()) return invalid("a client certificate needs a CA file to check it");
  std::lock_guard lock(mutex_);
  auto transaction = WriteTransaction::begin(connection_, Durability::kPowerLoss);
  if (!transaction) return in_context(what, transaction.error());
  auto written = run_bound(connection_,
                           "INSERT INTO trunk_client_tls (trunk_id, ca_file, expected_name) "
                           "SELECT id, ?2, ?3 FROM trunks WHERE id = ?1 "
                           "ON CONFLICT (trunk_id) DO UPDATE SET ca_file = excluded.ca_file, "
                           "expected_name = excluded.expected_name",
                           tls.trunk_id, tls.ca_file, tls.expected_name);
  if (!written) return in_context(what, written.error());
  if (connection_.changes() == 0)
    return not_found("no trunk with id " + std::to_string(tls.trunk_id));
  auto committed = transaction->commit();
  if (!committed) return in_context(what, committed.error());
  return {};
}

Result<void> SqliteStore::clear_trunk_client_tls(TrunkId trunk) {
  std::lock_guard lock(mutex_);
  auto removed = run_bound(connection_, "DELETE FROM trunk_client_tls WHERE trunk_id = ?", trunk);
  if (!removed) return in_context("clearing the client certificate of a trunk", removed.error());
  return {};
}

Result<std::vector<TrunkClientTls>> SqliteStore::list_trunk_client_tls() {
  std::lock_guard lock(mutex_);
  auto query = prepare_bound(
      connection_,
      "SELECT trunk_id, ca_file, expected_name FROM trunk_client_tls ORDER BY trunk_id");
  if (!query) return query.error();
  auto rows = collect_rows(*query, [](const Statement& row) -> Result<TrunkClientTls> {
    return TrunkClientTls{row.column_int(0), row.column_text(1), row.column_text(2)};
  });
  if (!rows) return in_context("listing trunk client certificates", rows.error());
  return rows;
}

}  // namespace parley::store::sqlite
