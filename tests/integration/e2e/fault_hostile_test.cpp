// Hostile names and comments at the API (issue "Spaces and shares served by real Samba",
// faults): every hostile example of common/validate's tests — as a space name, share name,
// share subdirectory, grantee and registration username, and every refused comment — is
// answered 400 by the real agent, and the include file smbd reads is byte-identical afterwards
// (checked after a resync pass). A share name differing only in letter case from an existing
// one is 409, by `share create` and by `space create`, and creates nothing.
#include <cctype>

#include <doctest/doctest.h>
#include <fmt/core.h>

#include "tests/integration/e2e/fault_host.hpp"
#include "tests/support/require.hpp"
#include "tests/unit/common/validate/expect.hpp"

using namespace sharectl;
using namespace std::chrono_literals;
namespace fault = sharectl::test::fault;

namespace {

// A JSON string literal holding these exact bytes: quotes, backslashes and control bytes are
// escaped, everything else (invalid UTF-8 included) is sent raw — nlohmann would refuse it.
std::string json_string(std::string_view bytes) {
  std::string out = "\"";
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += fmt::format("\\u{:04x}", byte);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Comments validate_comment refuses (tests/unit/common/validate/text_test.cpp).
std::vector<std::string> hostile_comments() {
  return {"a\nb",       "a\rb",     "a\tb",       std::string("a\0b", 3),
          "a\x7f",      "\x1b[2J",  "a\xc2\x85",  "100%",
          "%U's files", "a\\b",     "trailing\\", ";x",
          "#x",         " x",       "x ",         " ",
          "ab\xff",     "\xc0\xaf", "Donn\xc3",   std::string(257, 'c')};
}

// Percent-encodes every byte but unreserved ones, for hostile path segments.
std::string url_segment(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", byte);
    }
  }
  return out;
}

} // namespace

TEST_CASE("e2e faults: hostile names and comments are 400 and leave the include file alone") {
  SHARECTL_REQUIRE_ROOT();
  SHARECTL_REQUIRE_PROGRAMS("smbd", "testparm", "smbcontrol", "useradd", "userdel");
  if (!test::prerequisite(std::filesystem::exists(test::agent_binary()),
                          "the sharectl-agent binary (build all targets)")) {
    return;
  }
  fault::HostAccounts accounts;
  fault::Host host;
  SHARECTL_REQUIRE_OK(host.start("1s"));
  const std::string owner = fault::owner_name("hostile");
  accounts.add(owner);
  auto alice = fault::ApiUser::login(host.agent->url(), owner, "owner password 1");
  REQUIRE_MESSAGE(alice.has_value(), test::error_text(alice));
  auto made = alice->call("POST", "/api/v1/spaces", {{"name", "Docs"}, {"size_bytes", 1 << 20}});
  REQUIRE(made.has_value());
  REQUIRE_MESSAGE(made->status == 201, made->body);
  REQUIRE_MESSAGE(fault::poll_until(
                      [&] {
                        auto got = alice->get("/api/v1/shares/Docs");
                        return got && got->value("status", "") == "ready";
                      },
                      30s),
                  host.agent->log_tail());
  const std::string before = host.include_text();
  REQUIRE(fault::include_sections(before).contains("Docs"));

  auto expect_400 = [&](std::string_view method, const std::string& path, const std::string& body,
                        const std::string& what) {
    auto answer = alice->raw(method, path, body);
    REQUIRE_MESSAGE(answer.has_value(), test::error_text(answer));
    CHECK_MESSAGE(answer->status == 400,
                  fmt::format("{}: {} {}", what, answer->status, answer->body));
  };
  for (const auto& hostile : validate::test::hostile_inputs()) {
    const std::string shown = validate::test::printable_ascii(hostile) ? hostile : "(bytes)";
    CAPTURE(shown);
    const std::string name = json_string(hostile);
    expect_400("POST", "/api/v1/spaces", "{\"name\":" + name + ",\"size_bytes\":1048576}",
               "space name");
    expect_400("POST", "/api/v1/spaces",
               "{\"name\":\"okspace\",\"size_bytes\":1048576,\"share_name\":" + name + "}",
               "space's share name");
    expect_400("POST", "/api/v1/shares", "{\"name\":" + name + ",\"space\":\"Docs\"}",
               "share name");
    expect_400("POST", "/api/v1/shares",
               "{\"name\":\"oksub\",\"space\":\"Docs\",\"subdir\":" + name + "}", "subdir");
    expect_400("PUT", "/api/v1/shares/Docs/acl/user:" + url_segment(hostile),
               "{\"level\":\"read\"}", "grantee");
    expect_400("POST", "/api/v1/users",
               "{\"username\":" + name +
                   ",\"email\":\"x@example.org\",\"password\":\"some password 1\"}",
               "username");
  }
  for (const auto& comment : hostile_comments()) {
    CAPTURE(validate::test::printable_ascii(comment) ? comment : std::string("(bytes)"));
    expect_400("POST", "/api/v1/shares",
               "{\"name\":\"okcomment\",\"space\":\"Docs\",\"comment\":" + json_string(comment) +
                   "}",
               "comment");
    expect_400("PATCH", "/api/v1/shares/Docs", "{\"comment\":" + json_string(comment) + "}",
               "comment of an existing share");
  }

  // Case-insensitive share names: 409, nothing created.
  auto clash = alice->call("POST", "/api/v1/shares", {{"name", "DOCS"}, {"space", "Docs"}});
  REQUIRE(clash.has_value());
  CHECK_MESSAGE(clash->status == 409, clash->body);
  auto clash_space =
      alice->call("POST", "/api/v1/spaces", {{"name", "docs"}, {"size_bytes", 1 << 20}});
  REQUIRE(clash_space.has_value());
  CHECK_MESSAGE(clash_space->status == 409, clash_space->body);
  auto absent = alice->raw("GET", "/api/v1/spaces/" + owner + "/docs");
  REQUIRE(absent.has_value());
  CHECK_MESSAGE(absent->status == 404, absent->body);
  auto shares = alice->get("/api/v1/shares");
  REQUIRE_MESSAGE(shares.has_value(), test::error_text(shares));
  CHECK(shares->size() == 1);

  // Absence cannot be polled for: give the reconciler two resync passes (1 s each) to act.
  std::this_thread::sleep_for(2500ms);
  CHECK(host.include_text() == before);
  auto checked = fault::testparm(host.smbd.config_path());
  REQUIRE_MESSAGE(checked.has_value(), test::error_text(checked));
  CHECK_MESSAGE(checked->exit_code == 0, checked->err);
}
