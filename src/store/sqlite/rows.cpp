#include "store/sqlite/rows.hpp"

namespace parley::store::sqlite {

Result<CallRecord> read_call_record(const Statement& row) {
  CallRecord record;
  record.id = row.column_int(0);
  record.tenant_id = row.column_int(1);
  record.call_id = row.column_text(2);
  record.caller = row.column_text(3);
  record.callee = row.column_text(4);
  record.start_ms = row.column_int(5);
  record.answer_ms = optional_int(row, 6);
  record.end_ms = row.column_int(7);
  const auto disposition = parse_disposition(row.column_text(8));
  const auto side = parse_hangup_side(row.column_text(9));
  const auto reason = parse_end_reason(row.column_text(10));
  if (!disposition || !side || !reason) {
    return make_store_error(
        StoreError::kBackend,
        "call record " + std::to_string(record.id) + " has an unknown disposition or hang-up side");
  }
  record.disposition = *disposition;
  record.hangup_side = *side;
  record.end_reason = *reason;
  return record;
}

}  // namespace parley::store::sqlite
