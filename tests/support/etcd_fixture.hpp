// A private etcd cluster for integration tests: three members (etcd 3.4 from Debian's
// etcd-server) on 127.0.0.1 with free client and peer ports, data in a fresh directory (on tmpfs
// /dev/shm when it has room, else $TMPDIR) named sharectl-etcd-<pid>-XXXXXX so the next run
// removes those of a crashed one. Members are started with argv (never a shell) as our children
// (own process group, SIGKILL when the test process dies) and stopped by pid; start() returns
// once every member answers /health. etcd's limits (--max-txn-ops, --max-request-bytes) stay at
// their defaults: the product must work on a stock cluster. Optionally --auth-token-ttl is short,
// for token-expiry tests, and enable_auth() turns on authentication with a root user through the
// JSON gateway (the password travels only in request bodies), and tls serves HTTPS with
// client-certificate authentication. Failures are Errors carrying the
// tail of the member's log; the destructor (SIGKILL to each member's group, then removal of the
// directory) never throws.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "common/http/client.hpp"
#include "common/util/error.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sharectl::test {

// How to start the cluster.
struct EtcdClusterOptions {
  // Number of members (3 gives a cluster that survives one member's loss).
  int members = 3;
  // --auth-token-ttl in seconds (etcd's default is 300); set it short to see tokens expire.
  std::optional<int> auth_token_ttl_seconds;
  // HTTPS client URLs: a self-signed server certificate for 127.0.0.1 (ca_file()) and
  // --client-cert-auth trusting one self-signed client certificate (client_cert_file()).
  bool tls = false;
};

// One private etcd cluster. Not copyable; nothing is left running or on disk when it goes away.
class EtcdCluster {
public:
  // Creates the private directory (and with tls the certificates); starts nothing. Throws
  // std::system_error when it cannot.
  explicit EtcdCluster(EtcdClusterOptions options = {});
  // SIGKILLs every member (by pid, with its process group) and removes the directory.
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // Picks free ports and starts every member, returning once each answers /health (a leader is
  // elected and it serves reads). Retries on new ports when one was taken. Fails with not_found
  // when etcd is not installed, conflict when already started, unavailable when a member exits
  // or is not healthy within 30 s (message: its log tail).
  Status start();

  // Sends SIGKILL to member i and reaps it; data and ports are kept for restart(i).
  Status kill(int i);
  // Stops member i (SIGTERM, 10 s grace, then SIGKILL); data and ports are kept. No-op when it
  // is not running.
  Status stop(int i);
  // Stops member i if it runs, then starts it again on the same data and ports; waits until it
  // listens and — when a quorum of members runs — until it is healthy.
  Status restart(int i);
  // True while member i runs.
  bool running(int i);
  // Member i's pid (0 when never started).
  pid_t pid(int i) const;

  // Number of members.
  int size() const { return static_cast<int>(m_members.size()); }
  // "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3": the client endpoints for an etcd:// URL.
  std::string endpoints() const;
  // "127.0.0.1:P" of member i's client port.
  std::string endpoint(int i) const;
  // "http://127.0.0.1:P" (https with tls) of member i.
  std::string client_url(int i) const;
  // With tls: the server certificate (to trust as CA), the client certificate and its key.
  std::filesystem::path ca_file() const;
  std::filesystem::path client_cert_file() const;
  std::filesystem::path client_key_file() const;
  // Member i's client port.
  int client_port(int i) const;
  // The private directory holding data and logs.
  const std::filesystem::path& dir() const { return m_dir.path(); }
  // Member i's log (its stdout and stderr).
  std::filesystem::path log_path(int i) const;

  // The index of the member that is leader, as the running members report it; waits up to
  // 15 s for one to be elected. Fails with unavailable when none is.
  Result<int> leader();

  // Turns on authentication: creates user "root" with password and the root role, grants it,
  // and enables auth, all through member 0's (or the first running member's) JSON gateway.
  // Later post() calls authenticate as root. Fails (internal) with etcd's message.
  Status enable_auth(std::string_view root_password);

  // POSTs body (JSON) to member i's gateway at path (e.g. "/v3/kv/put"), authenticating as root
  // first once enable_auth() was called; returns the response whatever its status. Fails with
  // unavailable when the member cannot be reached.
  Result<http::HttpResponse> post(int i, std::string_view path, std::string_view body);

private:
  struct Member {
    int client_port = 0;
    int peer_port = 0;
    ChildProcess process;
  };

  std::vector<std::string> argv(int i) const;
  Status spawn(int i);
  Status wait_healthy(int i, bool require_health, std::chrono::steady_clock::time_point deadline);
  bool healthy(int i);
  int running_count();
  Status start_once(bool& port_taken);

  EtcdClusterOptions m_options;
  TempDir m_dir;
  std::string m_token; // --initial-cluster-token, unique per cluster
  std::vector<Member> m_members;
  bool m_started = false;
  std::string m_root_password; // after enable_auth()
  http::HttpClient m_http;
};

} // namespace sharectl::test
