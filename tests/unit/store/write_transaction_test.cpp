// WriteTransaction's durability against a real SQLite file: each transaction commits under the
// synchronous setting it asked for, though the connection no longer switches back to NORMAL
// after every power-loss transaction (decision 0053).

#include "store/sqlite/connection.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "support/temp_dir.hpp"

namespace parley::store::sqlite {
namespace {

using namespace std::chrono_literals;

// PRAGMA synchronous as a number: 1 NORMAL, 2 FULL.
std::int64_t synchronous_setting(Connection& connection) {
  auto query = connection.prepare("PRAGMA synchronous");
  EXPECT_TRUE(query.ok());
  auto row = query->step();
  EXPECT_TRUE(row.ok() && *row);
  return query->column_int(0);
}

// Inserts one row inside a transaction of `durability`; returns the setting seen inside it.
std::int64_t write_with(Connection& connection, Durability durability) {
  auto transaction = WriteTransaction::begin(connection, durability);
  EXPECT_TRUE(transaction.ok());
  const std::int64_t inside = synchronous_setting(connection);
  auto insert = connection.prepare("INSERT INTO t (v) VALUES (1)");
  EXPECT_TRUE(insert.ok() && insert->run().ok());
  EXPECT_TRUE(transaction->commit().ok());
  return inside;
}

TEST(WriteTransaction, EachCommitUsesTheDurabilityItAskedFor) {
  const test::TempDir dir("parley-write-transaction");
  auto connection = Connection::open((dir.path() / "t.db").string(), 1s);
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(connection
                  ->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                         "CREATE TABLE t (v INTEGER)")
                  .ok());

  constexpr std::int64_t kNormal = 1;
  constexpr std::int64_t kFull = 2;
  EXPECT_EQ(write_with(*connection, Durability::kPowerLoss), kFull);
  EXPECT_EQ(write_with(*connection, Durability::kPowerLoss), kFull);  // no switch in between
  EXPECT_EQ(write_with(*connection, Durability::kProcessCrash), kNormal);
  EXPECT_EQ(write_with(*connection, Durability::kPowerLoss), kFull);

  // A savepoint inside a power-loss transaction commits with the outer one, under FULL.
  {
    auto outer = WriteTransaction::begin(*connection, Durability::kPowerLoss);
    ASSERT_TRUE(outer.ok());
    auto nested = WriteTransaction::begin(*connection, Durability::kProcessCrash);
    ASSERT_TRUE(nested.ok());
    EXPECT_EQ(synchronous_setting(*connection), kFull);
    ASSERT_TRUE(nested->commit().ok());
    ASSERT_TRUE(outer->commit().ok());
  }
  EXPECT_EQ(write_with(*connection, Durability::kProcessCrash), kNormal);

  auto count = connection->prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE(*count->step());
  EXPECT_EQ(count->column_int(0), 5);
}

}  // namespace
}  // namespace parley::store::sqlite
