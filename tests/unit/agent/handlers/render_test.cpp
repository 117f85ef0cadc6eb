// Pure helpers of the account handlers: RFC 3339 times, e-mail checks, user JSON without
// secrets, resource template expansion.
#include <doctest/doctest.h>
#include <fmt/chrono.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/api/http.hpp"
#include "agent/handlers/account.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/render.hpp"

namespace handlers = sharectl::agent::handlers;
namespace model = sharectl::model;

TEST_CASE("rfc3339 renders UTC with microseconds") {
  CHECK(handlers::rfc3339(model::from_micros(1704067200000000)) == "2024-01-01T00:00:00.000000Z");
  CHECK(handlers::rfc3339(model::from_micros(1704067261123456)) == "2024-01-01T00:01:01.123456Z");
}

TEST_CASE("rfc3339 agrees with fmt's chrono formatting across years, leap days and day ends") {
  // The hand-written formatter against the library one it replaced, over dates that exercise
  // the calendar: leap days, centuries, the last microsecond of a day, the epoch, before it.
  const std::int64_t day = 86'400'000'000;
  for (std::int64_t micros :
       {std::int64_t{0}, std::int64_t{-1}, -day,
        std::int64_t{951'782'400} * 1'000'000,               // 2000-02-29
        std::int64_t{4'107'542'400} * 1'000'000 - 1,         // 2100-02-28T23:59:59.999999
        std::int64_t{253'402'300'799} * 1'000'000 + 999'999, // 9999-12-31
        std::int64_t{1'709'164'800} * 1'000'000 + 123}) {
    for (std::int64_t step = 0; step < 400; ++step) {
      const auto time = model::from_micros(micros + step * (day + 3'723'000'001));
      const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
      const auto expected =
          fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06}Z", seconds, (time - seconds).count());
      REQUIRE(handlers::rfc3339(time) == expected);
    }
  }
}

TEST_CASE("app and space JSON are what nlohmann::json renders for the same members") {
  model::App app;
  app.id = "0c1a847a-4da5-4e53-a5de-34567dbdc273";
  app.user_id = "7feac7f9-340a-419b-8e78-0eed32f04634";
  app.name = "laptop \"work\" \\ \u00e9t\u00e9\n";
  app.revision = 42;
  app.created_at = model::from_micros(1704067261123456);
  app.updated_at = model::from_micros(1704067262000000);
  app.last_used_at = model::from_micros(1704067263000001);
  const auto expires = model::from_micros(1704672063000001);
  const nlohmann::json app_expected{{"id", app.id},
                                    {"app_id", app.id},
                                    {"revision", app.revision},
                                    {"created_at", handlers::rfc3339(app.created_at)},
                                    {"updated_at", handlers::rfc3339(app.updated_at)},
                                    {"user_id", app.user_id},
                                    {"name", app.name},
                                    {"last_used_at", handlers::rfc3339(app.last_used_at)},
                                    {"expires_at", handlers::rfc3339(expires)}};
  CHECK(handlers::app_json(app, expires) == app_expected.dump());

  model::Space space;
  space.id = "6e190238-5056-463b-8125-0254abc403ba";
  space.name = "projects";
  space.size_bytes = 21'474'836'480;
  space.filesystem_id = "fs-1";
  space.path = "/srv/sharectl/alice/projects";
  space.status = model::ObjectStatus::error;
  space.status_message = "quota: \x01 control\tand \xff invalid UTF-8";
  space.revision = 7;
  space.observed_revision = 6;
  space.created_at = model::from_micros(1);
  space.updated_at = model::from_micros(2);
  const nlohmann::json space_expected{{"id", space.id},
                                      {"revision", space.revision},
                                      {"created_at", handlers::rfc3339(space.created_at)},
                                      {"updated_at", handlers::rfc3339(space.updated_at)},
                                      {"name", space.name},
                                      {"owner", "alice"},
                                      {"size_bytes", space.size_bytes},
                                      {"server", "host1"},
                                      {"filesystem_id", space.filesystem_id},
                                      {"path", space.path},
                                      {"share", "projects"},
                                      {"status", model::status_name(space.status)},
                                      {"status_message", space.status_message},
                                      {"observed_revision", space.observed_revision},
                                      {"unc", "\\\\192.0.2.10\\projects"},
                                      {"url", "smb://192.0.2.10:4450/projects"},
                                      {"used_bytes", 0},
                                      {"used_at", nullptr}};
  const handlers::SmbEndpoint at{"host1", "192.0.2.10", 4450};
  CHECK(handlers::space_json(space, "alice", "host1", "projects", at) ==
        space_expected.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  space.used_bytes = 8'388'608;
  space.used_at = model::from_micros(3);
  auto measured = space_expected;
  measured["used_bytes"] = space.used_bytes;
  measured["used_at"] = handlers::rfc3339(*space.used_at);
  CHECK(handlers::space_json(space, "alice", "host1", "projects", at) ==
        measured.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

TEST_CASE("connect_paths: UNC path and smb URL of a share") {
  using handlers::connect_paths;
  const auto plain = connect_paths({"h", "storage1.example.org", 445}, "docs");
  CHECK(plain.unc == "\\\\storage1.example.org\\docs");
  CHECK(plain.url == "smb://storage1.example.org/docs"); // 445 is the default: no port
  const auto port = connect_paths({"h", "127.0.0.1", 4450}, "docs");
  CHECK(port.unc == "\\\\127.0.0.1\\docs"); // a UNC path cannot carry a port
  CHECK(port.url == "smb://127.0.0.1:4450/docs");
  const auto v6 = connect_paths({"h", "fe80::1%eth0", 445}, "docs");
  CHECK(v6.unc == "\\\\fe80--1seth0.ipv6-literal.net\\docs");
  CHECK(v6.url == "smb://[fe80::1%25eth0]/docs");
  CHECK(connect_paths({"h", "", 445}, "docs").unc.empty()); // the server is gone
  CHECK(connect_paths({"h", "", 445}, "docs").url.empty());
}

TEST_CASE("validate_email") {
  CHECK(handlers::validate_email("a@b.c"));
  CHECK_FALSE(handlers::validate_email("ab"));
  CHECK_FALSE(handlers::validate_email("@b.c"));
  CHECK_FALSE(handlers::validate_email("a@"));
  CHECK_FALSE(handlers::validate_email("a@b@c"));
  CHECK_FALSE(handlers::validate_email("a b@c.d"));
  CHECK_FALSE(handlers::validate_email("a\r\n@c.d"));
}

TEST_CASE("user_json never carries secrets") {
  model::User user;
  user.id = "6e190238-5056-463b-8125-0254abc403ba";
  user.username = "alice";
  const auto text = handlers::user_json(user);
  CHECK(text.find("\"username\":\"alice\"") != std::string::npos);
  CHECK(text.find("hash") == std::string::npos);
  CHECK(text.find("password") == std::string::npos);
}

TEST_CASE("expand_resource fills route parameters") {
  sharectl::agent::api::Request request;
  request.path_params["owner"] = "alice";
  request.path_params["name"] = "proj";
  CHECK(handlers::expand_resource("spaces/{owner}/{name}", request) == "spaces/alice/proj");
  CHECK(handlers::expand_resource("audit", request) == "audit");
  CHECK(handlers::expand_resource("", request).empty());
}
