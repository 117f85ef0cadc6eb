// A beat measures this host's ready spaces (agent/reconcile/space_usage.hpp) with the in-process
// agent and a dir filesystem in a temp dir: used_bytes and used_at land in the store without a
// new revision and show in the API's space JSON; the sharectl-dfree figures file and link are
// written beside the (temporary) samba include; a space that cannot be measured is logged once;
// the files of a deleted space go at the next beat.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "agent/reconcile/heartbeat.hpp"
#include "tests/integration/agent/handlers/storage_fixture.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
using test::k_mib;
namespace reconcile = sharectl::agent::reconcile;
namespace fs = std::filesystem;

// Makes `path` look written an hour ago (the heartbeat keeps files newer than its store read).
void age(const fs::path& path) {
  const auto old = std::chrono::system_clock::now() - std::chrono::hours(1);
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(old.time_since_epoch()).count();
  const timespec times[2] = {{seconds, 0}, {seconds, 0}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A space created through the API as `who`, its directory made with `bytes` of data and its
// status set to ready (as a reconcile pass would): the stored row.
model::Space ready_space(test::StorageAgent& agent, const http::HttpHeaders& who,
                         const std::string& name, std::uint64_t bytes) {
  const auto created =
      agent.as(who, "POST", "/api/v1/spaces", json{{"name", name}, {"size_bytes", 20 * k_mib}});
  REQUIRE_MESSAGE(created.status == 201, created.body);
  const std::string id = json::parse(created.body)["id"];
  auto space = agent.store().view_result([&](store::Tx& tx) { return tx.get<model::Space>(id); });
  REQUIRE_MESSAGE(space.has_value(), test::error_text(space));
  fs::create_directories(space->path);
  if (bytes > 0) {
    std::ofstream(fs::path(space->path) / "data.bin") << std::string(bytes, 'x');
  }
  auto set = agent.store().transact_result([&](store::Tx& tx) {
    return tx.set_status(model::Kind::space, id, model::ObjectStatus::ready, "", space->revision);
  });
  REQUIRE_MESSAGE(set.has_value(), test::error_text(set));
  auto stored = agent.store().view_result([&](store::Tx& tx) { return tx.get<model::Space>(id); });
  REQUIRE(stored.has_value());
  return *stored;
}

} // namespace

TEST_CASE("heartbeat: measures ready spaces as bookkeeping and writes the dfree figures") {
  agent::auth::FakeClock clock(model::now_utc());
  test::StorageAgent agent(&clock);
  test::TempDir samba;
  const agent::host::DfreeSetup dfree{"/usr/bin/sharectl-dfree",
                                      agent::host::usage_dir_for(samba.path() / "sharectl.conf")};
  auto runner = make_process_runner();
  std::vector<std::string> lines;
  reconcile::Heartbeat heartbeat(
      agent.store(), agent.context().config, clock, *runner, dfree,
      [&](std::string_view, std::string_view message) { lines.emplace_back(message); });

  const auto alice = agent.user("alice");
  const auto projects = ready_space(agent, alice, "projects", 3 * k_mib);
  const auto pending = agent.as(alice, "POST", "/api/v1/spaces",
                                json{{"name", "pending"}, {"size_bytes", 20 * k_mib}});
  REQUIRE(pending.status == 201);
  const auto revision = agent.store().current_revision();
  REQUIRE(revision.has_value());

  clock.advance(std::chrono::seconds{15});
  auto beat = heartbeat.beat();
  REQUIRE_MESSAGE(beat.has_value(), test::error_text(beat));
  auto measured =
      agent.store().view_result([&](store::Tx& tx) { return tx.get<model::Space>(projects.id); });
  REQUIRE(measured.has_value());
  CHECK(measured->used_bytes == 3 * k_mib);
  CHECK(measured->used_at == clock.now());
  CHECK(measured->revision == projects.revision);
  CHECK(*agent.store().current_revision() == *revision);
  auto feed = agent.store().changes_since(*revision);
  REQUIRE(feed.has_value());
  CHECK(feed->changes.empty());
  // The pending space (no directory yet) is not measured.
  const json unmeasured = json::parse(agent.as(alice, "GET", "/api/v1/spaces/alice/pending").body);
  CHECK(unmeasured["used_bytes"] == 0);
  CHECK(unmeasured["used_at"].is_null());
  const auto shown = agent.as(alice, "GET", "/api/v1/spaces/alice/projects", nullptr,
                              {{"Cache-Control", "no-cache"}});
  REQUIRE(shown.status == 200);
  CHECK(json::parse(shown.body)["used_bytes"] == 3 * k_mib);
  CHECK(json::parse(shown.body)["used_at"].is_string());

  // The figures file and the link that smb.conf names, world-readable in a 0755 directory.
  const auto file = dfree.usage_dir / projects.id;
  CHECK(slurp(file) == std::to_string(20 * k_mib) + " " + std::to_string(3 * k_mib) + "\n");
  struct stat st {};
  REQUIRE(::stat(dfree.usage_dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0755);
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
  CHECK(fs::read_symlink(dfree.usage_dir / (projects.id + ".dfree")) == dfree.program);
  CHECK(lines.empty());

  // More data: the next beat sees it.
  std::ofstream(fs::path(projects.path) / "more.bin") << std::string(k_mib, 'y');
  clock.advance(std::chrono::seconds{15});
  REQUIRE(heartbeat.beat().has_value());
  CHECK(slurp(file) == std::to_string(20 * k_mib) + " " + std::to_string(4 * k_mib) + "\n");

  // A ready space whose directory is gone: logged once, its last figure kept.
  fs::remove_all(projects.path);
  REQUIRE(heartbeat.beat().has_value());
  REQUIRE(heartbeat.beat().has_value());
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("HEARTBEAT-W001 ", 0) == 0);
  CHECK(agent.store()
            .view_result([&](store::Tx& tx) { return tx.get<model::Space>(projects.id); })
            ->used_bytes == 4 * k_mib);

  // The space goes: its file and link go with the next beat (once older than the store read).
  auto removed = agent.store().transact([&](store::Tx& tx) -> Status {
    auto shares = tx.list<model::Share>(store::ListQuery{projects.id, 0});
    if (!shares) {
      return std::unexpected(shares.error());
    }
    for (const auto& share : *shares) {
      if (auto gone = tx.remove<model::Share>(share.id); !gone) {
        return gone;
      }
    }
    return tx.remove<model::Space>(projects.id);
  });
  REQUIRE_MESSAGE(removed.has_value(), test::error_text(removed));
  age(file);
  age(dfree.usage_dir / (projects.id + ".dfree"));
  REQUIRE(heartbeat.beat().has_value());
  CHECK_FALSE(fs::exists(file));
  CHECK_FALSE(fs::is_symlink(dfree.usage_dir / (projects.id + ".dfree")));
}

TEST_CASE("heartbeat: without a dfree setup no figures files are written") {
  agent::auth::FakeClock clock(model::now_utc());
  test::StorageAgent agent(&clock);
  reconcile::Heartbeat heartbeat(agent.store(), agent.context().config, clock);
  const auto alice = agent.user("alice");
  const auto space = ready_space(agent, alice, "docs", 1000);
  REQUIRE(heartbeat.beat().has_value());
  auto measured =
      agent.store().view_result([&](store::Tx& tx) { return tx.get<model::Space>(space.id); });
  REQUIRE(measured.has_value());
  CHECK(measured->used_bytes == 1000);
  CHECK_FALSE(
      fs::exists(agent::host::usage_dir_for(agent.context().config.samba.include) / space.id));
}
