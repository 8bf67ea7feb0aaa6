#pragma once
// A REST API over a real SQLite store in a temporary folder, for the route tests of the tenant
// resources: tenants example.com (extensions 1001-1003) and other.org (2001), the system admin
// "root", the tenant admin "boss" of example.com (signed in, cookie + CSRF token), and a count
// of directory_changed() calls. Every store interface the API takes is wired in.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "http/api/credentials.hpp"
#include "http/api/rest_api.hpp"
#include "protocol/sip/digest.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley::http::api::test_support {

class ApiRouteTest : public ::testing::Test {
 protected:
  struct Session {
    std::string cookie;
    std::string csrf;
  };

  void SetUp() override {
    store::sqlite::SqliteStoreOptions options;
    options.data_dir = dir_.path() / "data";
    store_ = std::move(store::sqlite::SqliteStore::open(options)).value();
    example_ = *store_->add_tenant({"example.com", "Example", true});
    other_ = *store_->add_tenant({"other.org", "Other", false});
    for (const char* number : {"1001", "1002", "1003"}) add_extension(example_, number);
    add_extension(other_, "2001");
    ASSERT_TRUE(store_->add_admin(
        {"root", *hash_password("root-password"), store::AdminRole::kSystemAdmin, std::nullopt}));
    ASSERT_TRUE(store_->add_admin(
        {"boss", *hash_password("boss-password"), store::AdminRole::kTenantAdmin, example_.id}));
    recordings_dir_ = dir_.path() / "data" / "recordings";
    std::filesystem::create_directories(recordings_dir_);
    voicemail_dir_ = dir_.path() / "data" / "voicemail";
    std::filesystem::create_directories(voicemail_dir_);
    make_api(true);
    boss_ = login("boss", "boss-password");
  }

  void make_api(bool with_stores) {
    RestApiOptions api_options;
    api_options.directory_changed = [this] { ++reloads_; };
    if (with_stores) {
      api_options.call_features = store_.get();
      api_options.conference_rooms = store_.get();
      api_options.call_queues = store_.get();
      api_options.recordings = store_.get();
      api_options.devices = store_.get();
      api_options.unregister = [this](const store::BindingKey& key) {
        const auto removed = store_->remove_binding(key);
        return removed && *removed;
      };
      api_options.recordings_dir = recordings_dir_;
      api_options.ivr = store_.get();
      api_options.voicemail = store_.get();
      api_options.voicemail_dir = voicemail_dir_;
    }
    api_ = std::make_unique<RestApi>(*store_, *store_, clock_, api_options);
  }

  void add_extension(const store::Tenant& tenant, const std::string& number) {
    ASSERT_TRUE(store_->add_extension(
        {tenant.id,
         number,
         "User " + number,
         {"", protocol::sip::ha1(protocol::sip::DigestAlgorithm::kSha256, number, tenant.domain,
                                 "sip-secret-" + number)}}));
  }

  Response send(std::string method, std::string path, std::string body, const Session* session,
                std::string range = {}) {
    Request request;
    request.method = std::move(method);
    request.target = path;
    const std::size_t question = path.find('?');
    request.path = path.substr(0, question);
    if (question != std::string::npos) request.query = path.substr(question + 1);
    request.body = std::move(body);
    if (!request.body.empty()) request.headers.set("Content-Type", "application/json");
    if (!range.empty()) request.headers.set("Range", std::move(range));
    if (session != nullptr) {
      request.headers.set("Cookie", session->cookie);
      request.headers.set("X-CSRF-Token", session->csrf);
    }
    request.remote = *net::SocketAddress::parse("192.0.2.10:40000", 0);
    return api_->handle(request);
  }

  Session login(const std::string& name, const std::string& password) {
    const Response response =
        send("POST", "/api/v1/session",
             nlohmann::json{{"username", name}, {"password", password}}.dump(), nullptr);
    EXPECT_EQ(response.status, 200) << response.body;
    const std::string cookie(response.headers.find("Set-Cookie").value_or(""));
    return {cookie.substr(0, cookie.find(';')),
            nlohmann::json::parse(response.body, nullptr, false).value("csrf_token", "")};
  }

  Response as_boss(std::string method, std::string path, std::string body = "") {
    return send(std::move(method), std::move(path), std::move(body), &boss_);
  }

  static nlohmann::json body_of(const Response& response) {
    return nlohmann::json::parse(response.body, nullptr, false);
  }

  parley::test::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<RestApi> api_;
  std::filesystem::path recordings_dir_;
  std::filesystem::path voicemail_dir_;
  store::Tenant example_;
  store::Tenant other_;
  Session boss_;
  int reloads_ = 0;
};

}  // namespace parley::http::api::test_support
