// The store conformance suite on a real PostgreSQL (tests/support/postgres_fixture: a private
// server on a loopback port), plus what only a server can do: go away and come back. Each test
// gets its own schema in the fixture's database. Under CI a server that cannot start fails.
#include <atomic>
#include <memory>

#include "tests/integration/agent/store/conformance_access.hpp"
#include "tests/support/postgres_fixture.hpp"

namespace sharectl::store::conformance {
namespace {

// The PostgreSQL server of this test process, started on first use; nullptr (already reported
// as skipped, or failed under CI) when it cannot run here.
test::PostgresServer* shared_server() {
  static std::unique_ptr<test::PostgresServer> server;
  static bool tried = false;
  if (!tried) {
    tried = true;
    if (!test::running_as_root() ||
        !test::prerequisite(test::find_postgres_bindir().has_value(),
                            "PostgreSQL server binaries (initdb, postgres, psql)") ||
        !test::programs_available({"setpriv", "cp"})) {
      return nullptr;
    }
    server = std::make_unique<test::PostgresServer>();
    auto st = server->start();
    if (!test::prerequisite(st.has_value(), "a running PostgreSQL: " + test::error_text(st))) {
      server.reset();
    }
  }
  return server.get();
}

} // namespace

// A fresh schema in the shared server's database.
struct PostgresBackend {
  test::PostgresServer* server = shared_server();
  std::string schema;

  PostgresBackend() {
    static std::atomic<int> counter{0};
    if (server != nullptr) {
      schema = "sc_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
      auto st = server->psql("CREATE SCHEMA " + schema + ";");
      SHARECTL_REQUIRE_OK(st);
    }
  }
  bool ready() const { return server != nullptr; }
  std::string url() const { return server->url() + "?options=-csearch_path%3D" + schema; }
  Result<std::unique_ptr<Store>> open(const OpenOptions& options = {}) {
    return open_store(url(), options);
  }
  Status exec_raw(const std::string& sql) {
    auto r = server->psql("SET search_path = " + schema + "; " + sql + ";");
    return r ? Status{} : std::unexpected(r.error());
  }
  Status record_schema_version(int version) {
    return exec_raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (" +
                    std::to_string(version) + ", 'future', 0)");
  }
};

} // namespace sharectl::store::conformance

TYPE_TO_STRING(sharectl::store::conformance::PostgresBackend);

TEST_SUITE_BEGIN("store");

namespace sharectl::store::conformance {

SHARECTL_STORE_CONFORMANCE(PostgresBackend);

TEST_CASE("store: postgres going away yields unavailable, the pool recovers") {
  PostgresBackend b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  CHECK(store->backend() == "postgres");
  SHARECTL_REQUIRE_OK(create_one(*store, user_named("before")));

  // Restart between two operations: the pooled connection is dead, the next call reconnects.
  SHARECTL_REQUIRE_OK(b.server->restart());
  SHARECTL_CHECK_OK(create_one(*store, user_named("after_restart")));

  // Server down: unavailable, with the reason; back up: working again.
  SHARECTL_REQUIRE_OK(b.server->stop());
  auto down = create_one(*store, user_named("while_down"));
  REQUIRE_FALSE(down);
  CHECK(down.error().code == ErrorCode::unavailable);
  CHECK(down.error().message.find(b.server->password()) == std::string::npos);
  CHECK(code_of(store->current_revision()) == ErrorCode::unavailable);
  SHARECTL_REQUIRE_OK(b.server->start());
  SHARECTL_CHECK_OK(create_one(*store, user_named("after_start")));

  // Connection lost in the middle of a transaction: unavailable, nothing half-written.
  auto mid = store->transact([&](Tx& tx) -> Status {
    auto u = tx.create(user_named("half"));
    if (!u) {
      return std::unexpected(u.error());
    }
    auto killed = b.server->psql_superuser(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" +
        b.server->user() + "' AND pid <> pg_backend_pid();");
    if (!killed) {
      return std::unexpected(killed.error());
    }
    auto v = tx.create(user_named("half2"));
    return v ? Status{} : std::unexpected(v.error());
  });
  REQUIRE_FALSE(mid);
  CHECK(mid.error().code == ErrorCode::unavailable);
  auto half = store->view_result([](Tx& tx) { return tx.find_user("half"); });
  CHECK(code_of(half) == ErrorCode::not_found);
  auto names = store->view_result([](Tx& tx) { return tx.list<User>(); });
  SHARECTL_REQUIRE_OK(names);
  CHECK(names->size() == 3);
}

TEST_CASE("store: postgres reports a refused connection as unavailable") {
  auto s = open_store("postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=2");
  REQUIRE_FALSE(s);
  CHECK(s.error().code == ErrorCode::unavailable);
  CHECK(s.error().message.find("secret") == std::string::npos);
}

} // namespace sharectl::store::conformance

TEST_SUITE_END();
