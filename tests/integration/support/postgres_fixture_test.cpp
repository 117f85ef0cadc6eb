// Proves tests/support/postgres_fixture: a private PostgreSQL answers queries, keeps its data
// across restart() on the same port, and leaves nothing behind.
#include <string>

#include <doctest/doctest.h>

#include "tests/support/child_process.hpp"
#include "tests/support/postgres_fixture.hpp"
#include "tests/support/require.hpp"

namespace sharectl::test {

namespace {

// Skips (or fails under CI) unless PostgreSQL's server binaries are installed and we are root.
bool postgres_prerequisites() {
  return running_as_root() &&
         prerequisite(find_postgres_bindir().has_value(),
                      "PostgreSQL server binaries (initdb, postgres, psql)") &&
         programs_available({"setpriv", "cp"});
}

} // namespace

TEST_CASE("postgres fixture: psql runs a query as the test role") {
  if (!postgres_prerequisites()) {
    return;
  }
  PostgresServer server;
  SHARECTL_REQUIRE_OK(server.start());
  CHECK(server.url() == "postgres://" + server.user() + ":" + server.password() + "@127.0.0.1:" +
                            std::to_string(server.port()) + "/" + server.database());
  auto sum = server.psql("SELECT 1+1;");
  SHARECTL_REQUIRE_OK(sum);
  CHECK(*sum == "2\n");
  auto who = server.psql("SELECT current_user, current_database();");
  SHARECTL_REQUIRE_OK(who);
  CHECK(*who == server.user() + "|" + server.database() + "\n");
  auto failed = server.psql("SELECT * FROM no_such_table;");
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().message.find("no_such_table") != std::string::npos);
}

TEST_CASE("postgres fixture: restart keeps data and port, destruction leaves nothing") {
  if (!postgres_prerequisites()) {
    return;
  }
  pid_t first_pid = 0;
  pid_t second_pid = 0;
  std::filesystem::path dir;
  {
    PostgresServer server;
    SHARECTL_REQUIRE_OK(server.start());
    dir = server.dir();
    first_pid = server.pid();
    const int port = server.port();
    SHARECTL_REQUIRE_OK(
        server.psql("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before restart');"));
    SHARECTL_REQUIRE_OK(server.restart());
    second_pid = server.pid();
    CHECK(second_pid != first_pid);
    CHECK_FALSE(process_alive(first_pid));
    CHECK(server.port() == port);
    auto kept = server.psql("SELECT v FROM kept;");
    SHARECTL_REQUIRE_OK(kept);
    CHECK(*kept == "before restart\n");
    SHARECTL_REQUIRE_OK(server.stop());
    CHECK_FALSE(server.running());
    SHARECTL_REQUIRE_OK(server.start());
    CHECK(server.running());
    second_pid = server.pid();
  }
  CHECK_FALSE(process_alive(second_pid));
  CHECK_FALSE(std::filesystem::exists(dir));
}

TEST_CASE("postgres fixture: two servers run side by side") {
  if (!postgres_prerequisites()) {
    return;
  }
  PostgresServer first;
  PostgresServer second;
  SHARECTL_REQUIRE_OK(first.start());
  SHARECTL_REQUIRE_OK(second.start());
  CHECK(first.port() != second.port());
  SHARECTL_REQUIRE_OK(first.psql("CREATE TABLE only_here (v int);"));
  auto missing = second.psql("SELECT count(*) FROM only_here;");
  CHECK_FALSE(missing.has_value());
  auto present = first.psql("SELECT count(*) FROM only_here;");
  SHARECTL_REQUIRE_OK(present);
  CHECK(*present == "0\n");
}

} // namespace sharectl::test
