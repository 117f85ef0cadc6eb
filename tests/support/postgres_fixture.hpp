// A private PostgreSQL cluster for integration tests: a fresh directory (on tmpfs /dev/shm when
// it has room, else $TMPDIR), listening only on 127.0.0.1 on a free port, unix socket inside the
// directory, tuned for speed (fsync, full_page_writes, synchronous_commit, autovacuum off).
// initdb runs once per machine, as the postgres system user (initdb refuses root), into a
// template <base>/sharectl-pg-template-<hash> that already holds the test role and database and
// is kept for later runs; each server copies it (~0.1 s instead of ~1 s). Server directories are
// named sharectl-pg-<pid>-XXXXXX so the next run removes those of a crashed one. The postmaster
// runs as our child (user postgres, own process group, SIGQUIT when the test process dies) and is
// stopped by pid. Failures are returned as Errors with the tail of the server log; the destructor
// (immediate shutdown, SIGKILL after 5 s, remove the directory) never throws.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sharectl::test {

// The directory holding initdb, postgres and psql: $SHARECTL_PG_BINDIR, else the newest
// /usr/lib/postgresql/<N>/bin with an initdb, else the directory of initdb on PATH; nullopt when
// none is found (use with prerequisite()).
std::optional<std::filesystem::path> find_postgres_bindir();

// One private PostgreSQL server. Not copyable; everything is removed when it goes away.
class PostgresServer {
public:
  // Creates the private directory; starts nothing. Throws std::system_error when it cannot.
  PostgresServer();
  // Immediate shutdown (SIGQUIT, then SIGKILL to the process group) and removal of the dir.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // First call: copies the template cluster (creating it on first use in this process), picks a
  // free port and starts the postmaster. Later calls start it again on the same port and data.
  // Returns once it accepts connections. Fails with not_found when PostgreSQL or the postgres
  // user is missing, unavailable when the server exits or is not ready within 30 s (message: its
  // log tail), conflict when already running.
  Status start();

  // Fast shutdown (SIGINT: clients disconnected, checkpoint written), SIGKILL after 10 s. Data
  // and port are kept for start(). No-op when stopped.
  Status stop();

  // stop() then start() on the same port and data; clients see their connections break.
  Status restart();

  // True while the postmaster runs.
  bool running();

  // The postmaster's pid (0 when never started).
  pid_t pid() const { return m_process.pid(); }
  // The TCP port on 127.0.0.1 (0 before the first start()).
  int port() const { return m_port; }
  // postgres://USER:PASSWORD@127.0.0.1:PORT/DATABASE for the test role and its database.
  std::string url() const;
  // The test role (owner of database()); not a superuser.
  const std::string& user() const { return m_user; }
  // The test role's password.
  const std::string& password() const { return m_password; }
  // The test database.
  const std::string& database() const { return m_database; }
  // The private directory holding data, socket and log.
  const std::filesystem::path& dir() const { return m_dir.path(); }
  // The cluster's data directory.
  std::filesystem::path data_dir() const;
  // The server's log (stdout and stderr of the postmaster).
  std::filesystem::path log_path() const;

  // Runs sql (one or more statements, each on its own, stopping at the first error) with psql as
  // the test role over TCP (url()); returns the unaligned, tuples-only output ("2\n" for
  // SELECT 1+1). Fails (internal) with psql's stderr when a statement or the connection fails.
  Result<std::string> psql(std::string_view sql);

  // Like psql() but as the superuser "postgres" over the private unix socket, in database
  // "postgres" (e.g. pg_terminate_backend to break a client's connection).
  Result<std::string> psql_superuser(std::string_view sql);

private:
  Status start_once(bool first_start, bool& port_taken);

  TempDir m_dir;
  std::unique_ptr<ProcessRunner> m_runner;
  ChildProcess m_process;
  std::filesystem::path m_bindir;
  int m_port = 0;
  bool m_created = false;
  std::string m_user;
  std::string m_password;
  std::string m_database;
};

} // namespace sharectl::test
