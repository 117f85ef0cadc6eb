// The agent's private-file rule (agent/commands/file_modes.hpp) on real files in a private temp
// directory with chosen modes: which paths a config names, what check_private_path refuses and
// says, what tighten_private_files changes (and the shared directories it leaves alone), and that
// the SQLite backend creates its database and -wal/-shm files 0600 under umask 022.
#include <fstream>

#include <doctest/doctest.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/commands/file_modes.hpp"
#include "agent/store/store.hpp"
#include "tests/support/require.hpp"
#include "tests/support/scoped_umask.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using namespace sharectl::agent::commands;
namespace fs = std::filesystem;

namespace {

// Creates (or rewrites) a file holding "x" with exactly this mode.
void make_file(const fs::path& path, ::mode_t mode) {
  std::ofstream(path) << "x";
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// Creates a directory with exactly this mode.
void make_dir(const fs::path& path, ::mode_t mode) {
  fs::create_directories(path);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

::mode_t mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// A config whose SQLite store is <dir>/state/state.db and TLS key <dir>/tls/agent.key.
config::AgentConfig config_in(const fs::path& dir) {
  config::AgentConfig config;
  config.store = "sqlite://" + (dir / "state" / "state.db").string();
  config.tls.enabled = true;
  config.tls.key = dir / "tls" / "agent.key";
  config.tls.cert = dir / "tls" / "agent.crt";
  return config;
}

// check_private_path for a file or directory with our own uid and gid.
Status check(const fs::path& path, bool directory) {
  return check_private_path({path, "the thing", directory}, ::geteuid(), ::getegid());
}

using test::ScopedUmask;

} // namespace

TEST_SUITE("agent.commands") {

  TEST_CASE("file modes: private_paths names the SQLite store, its companions and the TLS key") {
    test::TempDir dir;
    const auto config = config_in(dir.path());
    const auto paths = private_paths(config);
    REQUIRE(paths.size() == 6);
    CHECK(paths[0].path == dir.path() / "state");
    CHECK(paths[0].directory);
    CHECK(paths[1].path == dir.path() / "state" / "state.db");
    CHECK(paths[2].path == dir.path() / "state" / "state.db-wal");
    CHECK(paths[3].path == dir.path() / "state" / "state.db-shm");
    CHECK(paths[4].path == dir.path() / "state" / "state.db-journal");
    CHECK(paths[5].path == dir.path() / "tls" / "agent.key");
    CHECK(paths[5].what == "the TLS key");

    auto postgres = config;
    postgres.store = "postgres://sharectl@db.example.org/sharectl";
    postgres.tls.enabled = false;
    CHECK(private_paths(postgres).empty()); // no local file; libpq guards its own passfile
    postgres.tls.enabled = true;
    REQUIRE(private_paths(postgres).size() == 1);
    auto memory = config;
    memory.store = "sqlite::memory:";
    CHECK(private_paths(memory).size() == 1);
  }

  TEST_CASE("file modes: a file with group or other bits is refused, naming path, mode and fix") {
    test::TempDir dir;
    const auto file = dir.path() / "state.db";
    CHECK(check(file, false).has_value()); // missing: nothing to check

    for (::mode_t ok : {0600, 0400, 0700}) {
      make_file(file, ok);
      CHECK_MESSAGE(check(file, false).has_value(), ok);
    }
    for (::mode_t loose : {0644, 0640, 0604, 0620, 0666, 0601}) {
      make_file(file, loose);
      auto refused = check(file, false);
      REQUIRE_FALSE(refused);
      CHECK(refused.error().code == ErrorCode::bad_request);
      const auto& message = refused.error().message;
      CHECK(message.starts_with("PRIVATE-FILE-OPEN: the thing " + file.string()));
      CHECK_MESSAGE(message.find(fmt::format("(mode {:04o})", loose)) != std::string::npos,
                    message);
      CHECK(message.find("`chmod 600 " + file.string() + "`") != std::string::npos);
    }
  }

  TEST_CASE("file modes: a directory must have no bits for others, group bits only for our group") {
    test::TempDir dir;
    const auto store_dir = dir.path() / "state";
    for (::mode_t ok : {0700, 0750, 0770}) {
      make_dir(store_dir, ok);
      CHECK_MESSAGE(check(store_dir, true).has_value(), ok);
    }
    for (::mode_t loose : {0755, 0701, 0705, 0777}) {
      make_dir(store_dir, loose);
      auto refused = check(store_dir, true);
      REQUIRE_FALSE(refused);
      CHECK(refused.error().message.find("accessible by others") != std::string::npos);
      CHECK(refused.error().message.find("`chmod 700 " + store_dir.string() + "`") !=
            std::string::npos);
    }
    // 0750 is fine with the agent's own group only.
    make_dir(store_dir, 0750);
    auto other_group = check_private_path({store_dir, "the store's directory", true}, ::geteuid(),
                                          ::getegid() + 1);
    REQUIRE_FALSE(other_group);
    CHECK(other_group.error().message.find("accessible by group") != std::string::npos);
    make_dir(store_dir, 0700);
    CHECK(check_private_path({store_dir, "d", true}, ::geteuid(), ::getegid() + 1).has_value());
  }

  TEST_CASE("file modes: a path owned by another user is refused with the chown fix") {
    test::TempDir dir;
    const auto file = dir.path() / "agent.key";
    make_file(file, 0600);
    // As if the agent ran as another uid: the file is then not the agent's.
    const ::uid_t someone_else = ::geteuid() + 1;
    auto refused = check_private_path({file, "the TLS key", false}, someone_else, 0);
    REQUIRE_FALSE(refused);
    const auto& message = refused.error().message;
    CHECK(message.starts_with("PRIVATE-FILE-FOREIGN: the TLS key " + file.string()));
    CHECK(message.find("belongs to uid " + std::to_string(::geteuid())) != std::string::npos);
    CHECK(message.find(fmt::format("`chown {}:0 {}`", someone_else, file.string())) !=
          std::string::npos);
    if (::geteuid() == 0) {
      // A root agent and a file of nobody's: the fix names root:root.
      REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
      auto foreign = check_private_path({file, "the TLS key", false}, 0, 0);
      REQUIRE_FALSE(foreign);
      CHECK(foreign.error().message.find("`chown root:root " + file.string() + "`") !=
            std::string::npos);
    }
  }

  TEST_CASE("file modes: check_private_files reports every loose file of the config") {
    test::TempDir dir;
    const auto config = config_in(dir.path());
    CHECK(check_private_files(config).empty()); // nothing exists yet
    make_dir(dir.path() / "state", 0700);
    make_dir(dir.path() / "tls", 0700);
    make_file(dir.path() / "state" / "state.db", 0600);
    make_file(dir.path() / "tls" / "agent.key", 0600);
    CHECK(check_private_files(config).empty());

    make_file(dir.path() / "state" / "state.db", 0644);
    make_file(dir.path() / "state" / "state.db-wal", 0644);
    make_file(dir.path() / "tls" / "agent.key", 0640);
    const auto problems = check_private_files(config);
    REQUIRE(problems.size() == 3);
    CHECK(problems[0].message.find("the SQLite store " +
                                   (dir.path() / "state" / "state.db").string()) !=
          std::string::npos);
    CHECK(problems[1].message.find("state.db-wal") != std::string::npos);
    CHECK(problems[2].message.find("the TLS key") != std::string::npos);
  }

  TEST_CASE(
      "file modes: tighten_private_files removes group and other bits and says what changed") {
    test::TempDir dir;
    const auto config = config_in(dir.path());
    make_dir(dir.path() / "state", 0755);
    make_dir(dir.path() / "tls", 0700);
    make_file(dir.path() / "state" / "state.db", 0644);
    make_file(dir.path() / "state" / "state.db-shm", 0664);
    make_file(dir.path() / "state" / "state.db.bak", 0644); // named after the store: still ours
    make_file(dir.path() / "tls" / "agent.key", 0400);

    auto changed = tighten_private_files(config);
    REQUIRE_MESSAGE(changed.has_value(), test::error_text(changed));
    REQUIRE(changed->size() == 3);
    CHECK((*changed)[0] == (dir.path() / "state").string() + " (0755 -> 0700)");
    CHECK((*changed)[1] == (dir.path() / "state" / "state.db").string() + " (0644 -> 0600)");
    CHECK((*changed)[2] == (dir.path() / "state" / "state.db-shm").string() + " (0664 -> 0600)");
    CHECK(mode_of(dir.path() / "state") == 0700);
    CHECK(mode_of(dir.path() / "state" / "state.db") == 0600);
    CHECK(mode_of(dir.path() / "tls" / "agent.key") == 0400); // tight already: untouched
    CHECK(check_private_files(config).empty());

    auto again = tighten_private_files(config);
    REQUIRE(again.has_value());
    CHECK(again->empty()); // idempotent
  }

  TEST_CASE("file modes: tighten_private_files leaves a directory that holds more than the store") {
    test::TempDir dir;
    config::AgentConfig config;
    config.tls.enabled = false;
    config.store = "sqlite://" + (dir.path() / "shared" / "state.db").string();
    make_dir(dir.path() / "shared", 0755);
    make_file(dir.path() / "shared" / "state.db", 0644);
    make_file(dir.path() / "shared" / "someone-elses-file", 0644);

    auto changed = tighten_private_files(config);
    REQUIRE(changed.has_value());
    REQUIRE(changed->size() == 1); // the database only
    CHECK(mode_of(dir.path() / "shared") == 0755);
    CHECK(mode_of(dir.path() / "shared" / "someone-elses-file") == 0644);
    const auto problems = check_private_files(config);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].message.find("move the store into a directory of its own") !=
          std::string::npos);
  }

  TEST_CASE("file modes: the SQLite backend creates state.db, -wal and -shm 0600 under umask 022") {
    test::TempDir dir;
    const auto db = dir.path() / "state.db";
    ScopedUmask umask_022(022);
    auto store = store::open_store("sqlite://" + db.string());
    REQUIRE_MESSAGE(store.has_value(), test::error_text(store));
    // The schema is written: the store is in WAL mode with its companions open.
    REQUIRE((*store)->schema_version().has_value());
    CHECK(mode_of(db) == 0600);
    REQUIRE(fs::exists(db.string() + "-wal"));
    REQUIRE(fs::exists(db.string() + "-shm"));
    CHECK(mode_of(db.string() + "-wal") == 0600);
    CHECK(mode_of(db.string() + "-shm") == 0600);

    // An existing database keeps its mode (init tightens it, run refuses it).
    store->reset();
    REQUIRE(::chmod(db.c_str(), 0640) == 0);
    auto reopened = store::open_store("sqlite://" + db.string());
    REQUIRE(reopened.has_value());
    CHECK(mode_of(db) == 0640);
  }

} // TEST_SUITE("agent.commands")
