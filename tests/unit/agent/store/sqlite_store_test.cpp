// The store conformance suite on the embedded SQLite backend (a fresh file per test), plus the
// URL factory and SQLite specifics.
#include <sqlite3.h>

#include "tests/integration/agent/store/conformance_access.hpp"
#include "tests/support/temp_dir.hpp"

namespace sharectl::store::conformance {

// A fresh SQLite database file in a private directory.
struct SqliteBackend {
  test::TempDir dir;
  std::string path = (dir.path() / "state.db").string();

  bool ready() const { return true; }
  Result<std::unique_ptr<Store>> open(const OpenOptions& options = {}) {
    return open_store("sqlite://" + path, options);
  }
  Status exec_raw(const std::string& sql) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open(path.c_str(), &db);
    if (rc == SQLITE_OK) {
      rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    }
    std::string message = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close(db);
    return rc == SQLITE_OK ? Status{} : fail(ErrorCode::internal, message);
  }
  Status record_schema_version(int version) {
    return exec_raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (" +
                    std::to_string(version) + ", 'future', 0)");
  }
};

} // namespace sharectl::store::conformance

TYPE_TO_STRING(sharectl::store::conformance::SqliteBackend);

TEST_SUITE_BEGIN("store");

namespace sharectl::store::conformance {
SHARECTL_STORE_CONFORMANCE(SqliteBackend);
} // namespace sharectl::store::conformance

namespace sharectl::store {

TEST_CASE("store: open_store knows its schemes") {
  auto bad = open_store("mysql://localhost/db");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::bad_request);
  CHECK(bad.error().message.find("sqlite://") != std::string::npos);
  CHECK(bad.error().message.find("'mysql'") != std::string::npos);
  auto relative = open_store("sqlite://relative.db");
  REQUIRE_FALSE(relative);
  CHECK(relative.error().code == ErrorCode::bad_request);
  auto missing_dir = open_store("sqlite:///nonexistent-dir/for/sure/state.db");
  REQUIRE_FALSE(missing_dir);
  CHECK(missing_dir.error().code == ErrorCode::unavailable);
}

TEST_CASE("store: sqlite::memory: is a private, working store") {
  auto store = open_store("sqlite::memory:");
  SHARECTL_REQUIRE_OK(store);
  CHECK((*store)->backend() == "sqlite");
  auto u =
      (*store)->transact_result([](Tx& tx) { return tx.create(conformance::user_named("alice")); });
  SHARECTL_REQUIRE_OK(u);
  CHECK(*(*store)->current_revision() == 1);
}

} // namespace sharectl::store

TEST_SUITE_END();
