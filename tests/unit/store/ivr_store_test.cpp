// The IvrStore half of SqliteStore against a real SQLite file: menus and options round trip
// (also after reopening), validation, the name and number spaces, cascades and the change
// counter; schedules round trip and refuse bad hours, holidays and zones.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/conference_store.hpp"
#include "store/ivr_store.hpp"
#include "store_fixture.hpp"

namespace parley::store::sqlite {
namespace {

class IvrStoreTest : public StoreFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(open_with_tenants(/*with_other=*/false));
    ASSERT_NO_FATAL_FAILURE(add_extensions(tenant_.id, {{"1001", ""}}));
  }

  IvrMenu menu(std::string name, std::string number = "") const {
    IvrMenu row;
    row.tenant_id = tenant_.id;
    row.name = std::move(name);
    row.number = std::move(number);
    row.greeting_text = "Press one for sales.";
    row.timeout_seconds = 4;
    row.max_attempts = 2;
    row.fallback = "voicemail:1001";
    row.direct_dial = true;
    return row;
  }

  Schedule schedule(std::string name, std::string number = "") const {
    Schedule row;
    row.tenant_id = tenant_.id;
    row.name = std::move(name);
    row.number = std::move(number);
    row.time_zone = "Europe/Berlin";
    row.hours = "mon-fri 09:00-17:00";
    row.holidays = "2026-12-25";
    row.open_destination = "menu:day";
    row.closed_destination = "menu:night";
    return row;
  }
};

TEST_F(IvrStoreTest, MenuWithOptionsRoundTripsAcrossReopen) {
  ASSERT_TRUE(store_->save_ivr_menu(menu("main", "500")));
  ASSERT_TRUE(store_->set_ivr_option(tenant_.id, "main", '1', "1001"));
  ASSERT_TRUE(store_->set_ivr_option(tenant_.id, "main", '#', "menu:main"));
  ASSERT_TRUE(store_->set_ivr_option(tenant_.id, "main", '1', "hangup"));  // replaces
  store_.reset();
  store_ = open_store();
  auto menus = store_->list_ivr_menus(tenant_.id);
  ASSERT_TRUE(menus.ok());
  ASSERT_EQ(menus->size(), 1U);
  const IvrMenu& got = menus->front();
  EXPECT_EQ(got.name, "main");
  EXPECT_EQ(got.number, "500");
  EXPECT_EQ(got.greeting_text, "Press one for sales.");
  EXPECT_EQ(got.timeout_seconds, 4U);
  EXPECT_EQ(got.max_attempts, 2U);
  EXPECT_EQ(got.fallback, "voicemail:1001");
  EXPECT_TRUE(got.direct_dial);
  ASSERT_EQ(got.options.size(), 2U);
  EXPECT_EQ(got.options[0].digit, '#');
  EXPECT_EQ(got.options[0].destination, "menu:main");
  EXPECT_EQ(got.options[1].digit, '1');
  EXPECT_EQ(got.options[1].destination, "hangup");
}

TEST_F(IvrStoreTest, SavingAgainUpdatesAndKeepsOptions) {
  ASSERT_TRUE(store_->save_ivr_menu(menu("main", "500")));
  ASSERT_TRUE(store_->set_ivr_option(tenant_.id, "main", '1', "1001"));
  auto changed = menu("main", "501");
  changed.greeting_text = "Hello.";
  ASSERT_TRUE(store_->save_ivr_menu(changed));
  auto menus = store_->list_ivr_menus(std::nullopt);
  ASSERT_TRUE(menus.ok());
  ASSERT_EQ(menus->size(), 1U);
  EXPECT_EQ(menus->front().number, "501");
  EXPECT_EQ(menus->front().greeting_text, "Hello.");
  EXPECT_EQ(menus->front().options.size(), 1U);
}

TEST_F(IvrStoreTest, RefusesBadMenus) {
  auto bad = [&](auto change) {
    IvrMenu row = menu("main");
    change(row);
    auto saved = store_->save_ivr_menu(row);
    return !saved.ok() && saved.error().code == static_cast<int>(StoreError::kInvalidInput);
  };
  EXPECT_TRUE(bad([](IvrMenu& m) { m.name = "Main"; }));
  EXPECT_TRUE(bad([](IvrMenu& m) { m.name = ""; }));
  EXPECT_TRUE(bad([](IvrMenu& m) { m.number = "12a"; }));
  EXPECT_TRUE(bad([](IvrMenu& m) { m.timeout_seconds = 0; }));
  EXPECT_TRUE(bad([](IvrMenu& m) { m.max_attempts = 11; }));
  EXPECT_TRUE(bad([](IvrMenu& m) { m.fallback = "park:1"; }));
  EXPECT_TRUE(bad([](IvrMenu& m) { m.greeting_wav = "relative.wav"; }));
  EXPECT_TRUE(bad([](IvrMenu& m) { m.greeting_text = std::string(2000, 'a'); }));
  ASSERT_TRUE(store_->save_ivr_menu(menu("main")));
  EXPECT_FALSE(store_->set_ivr_option(tenant_.id, "main", 'x', "1001").ok());
  EXPECT_FALSE(store_->set_ivr_option(tenant_.id, "main", '1', "nowhere!").ok());
  auto missing = store_->set_ivr_option(tenant_.id, "nope", '1', "1001");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, static_cast<int>(StoreError::kNotFound));
  auto unknown_tenant = menu("x");
  unknown_tenant.tenant_id = 999;
  EXPECT_EQ(store_->save_ivr_menu(unknown_tenant).error().code,
            static_cast<int>(StoreError::kNotFound));
}

TEST_F(IvrStoreTest, NamesAndNumbersAreShared) {
  ASSERT_TRUE(store_->save_ivr_menu(menu("main", "500")));
  auto extension_number = store_->save_ivr_menu(menu("other", "1001"));
  ASSERT_FALSE(extension_number.ok());
  EXPECT_EQ(extension_number.error().code, static_cast<int>(StoreError::kConflict));
  EXPECT_EQ(store_->save_ivr_menu(menu("other", "500")).error().code,
            static_cast<int>(StoreError::kConflict));
  EXPECT_EQ(store_->save_schedule(schedule("main")).error().code,
            static_cast<int>(StoreError::kConflict));
  EXPECT_EQ(store_->save_schedule(schedule("hours", "500")).error().code,
            static_cast<int>(StoreError::kConflict));
  ASSERT_TRUE(store_->save_schedule(schedule("hours", "501")));
  EXPECT_EQ(store_->save_ivr_menu(menu("hours")).error().code,
            static_cast<int>(StoreError::kConflict));
  ConferenceRoom room;
  room.tenant_id = tenant_.id;
  room.number = "800";
  room.max_participants = 10;
  ASSERT_TRUE(store_->add_conference_room(room));
  EXPECT_EQ(store_->save_ivr_menu(menu("other", "800")).error().code,
            static_cast<int>(StoreError::kConflict));
}

TEST_F(IvrStoreTest, RemovalCascadesAndEveryChangeMovesTheCounter) {
  std::uint64_t before = counter();
  ASSERT_TRUE(store_->save_ivr_menu(menu("main")));
  EXPECT_GT(counter(), before);
  before = counter();
  ASSERT_TRUE(store_->set_ivr_option(tenant_.id, "main", '1', "1001"));
  EXPECT_GT(counter(), before);
  before = counter();
  ASSERT_TRUE(store_->remove_ivr_option(tenant_.id, "main", '1'));
  EXPECT_GT(counter(), before);
  EXPECT_EQ(store_->remove_ivr_option(tenant_.id, "main", '1').error().code,
            static_cast<int>(StoreError::kNotFound));
  ASSERT_TRUE(store_->set_ivr_option(tenant_.id, "main", '2', "1001"));
  before = counter();
  ASSERT_TRUE(store_->remove_ivr_menu(tenant_.id, "main"));
  EXPECT_GT(counter(), before);
  EXPECT_TRUE(store_->list_ivr_menus(tenant_.id)->empty());
  // The option went with its menu: a new menu of that name starts without it.
  ASSERT_TRUE(store_->save_ivr_menu(menu("main")));
  EXPECT_TRUE(store_->list_ivr_menus(tenant_.id)->front().options.empty());
  EXPECT_EQ(store_->remove_ivr_menu(tenant_.id, "nope").error().code,
            static_cast<int>(StoreError::kNotFound));
}

TEST_F(IvrStoreTest, ScheduleRoundTripsAndRefusesBadRules) {
  ASSERT_TRUE(store_->save_schedule(schedule("hours", "502")));
  auto changed = schedule("hours", "502");
  changed.hours = "sat 10:00-12:00";
  ASSERT_TRUE(store_->save_schedule(changed));
  auto schedules = store_->list_schedules(tenant_.id);
  ASSERT_TRUE(schedules.ok());
  ASSERT_EQ(schedules->size(), 1U);
  const Schedule& got = schedules->front();
  EXPECT_EQ(got.number, "502");
  EXPECT_EQ(got.time_zone, "Europe/Berlin");
  EXPECT_EQ(got.hours, "sat 10:00-12:00");
  EXPECT_EQ(got.holidays, "2026-12-25");
  EXPECT_EQ(got.open_destination, "menu:day");
  EXPECT_EQ(got.closed_destination, "menu:night");
  for (auto change : {+[](Schedule& s) { s.hours = "mon 18:00-09:00"; },
                      +[](Schedule& s) { s.holidays = "2026-02-30"; },
                      +[](Schedule& s) { s.time_zone = "../etc/passwd"; },
                      +[](Schedule& s) { s.open_destination = ""; }}) {
    Schedule bad = schedule("hours");
    change(bad);
    EXPECT_EQ(store_->save_schedule(bad).error().code, static_cast<int>(StoreError::kInvalidInput));
  }
  ASSERT_TRUE(store_->remove_schedule(tenant_.id, "hours"));
  EXPECT_TRUE(store_->list_schedules(tenant_.id)->empty());
}

}  // namespace
}  // namespace parley::store::sqlite
