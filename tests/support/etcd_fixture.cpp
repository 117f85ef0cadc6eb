#include "tests/support/etcd_fixture.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <system_error>
#include <thread>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "tests/support/ports.hpp"

namespace sharectl::test {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view k_dir_prefix = "sharectl-etcd-";
constexpr auto k_start_timeout = std::chrono::seconds(30);
constexpr auto k_leader_timeout = std::chrono::seconds(15);
constexpr auto k_stop_grace = std::chrono::seconds(10);
constexpr auto k_request_timeout = std::chrono::seconds(10);
constexpr int k_start_attempts = 3;

// Where clusters live: tmpfs /dev/shm when it has 1 GiB free (etcd fsyncs every write and
// preallocates 64 MiB of WAL per member; on a busy disk fsync dominates), else $TMPDIR or /tmp.
fs::path cluster_base() {
  return test::fast_temp_base();
}

// Once per process: remove the directories (and kill the members) of crashed runs.
const fs::path& swept_base() {
  static const fs::path base = [] {
    fs::path found = cluster_base();
    remove_leftovers_of_dead_runs(found, k_dir_prefix);
    return found;
  }();
  return base;
}

// Adds an X.509v3 extension given in openssl.cnf syntax.
bool add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  const bool added = extension != nullptr && X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return added;
}

// Writes a self-signed ECDSA P-256 certificate and its key, for common_name, with the given
// extendedKeyUsage (etcd checks it) and subjectAltName (e.g. "IP:127.0.0.1", or nullptr).
// Throws std::system_error when OpenSSL or a file fails.
void write_certificate(const fs::path& cert_file, const fs::path& key_file, const char* common_name,
                       const char* key_usage, const char* alt_names) {
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"),
                                                                &EVP_PKEY_free);
  const std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  bool ok = key && cert && X509_set_version(cert.get(), 2) == 1 &&
            ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7 * 86400) != nullptr &&
            X509_set_pubkey(cert.get(), key.get()) == 1;
  if (ok) {
    X509_NAME* name = X509_get_subject_name(cert.get());
    const auto* cn = reinterpret_cast<const unsigned char*>(common_name);
    ok = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) == 1 &&
         X509_set_issuer_name(cert.get(), name) == 1 &&
         add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
         add_extension(cert.get(), NID_key_usage, "critical,digitalSignature") &&
         add_extension(cert.get(), NID_ext_key_usage, key_usage) &&
         (alt_names == nullptr || add_extension(cert.get(), NID_subject_alt_name, alt_names)) &&
         X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  }
  if (ok) {
    const std::unique_ptr<BIO, decltype(&BIO_free)> key_out(BIO_new_file(key_file.c_str(), "w"),
                                                            &BIO_free);
    const std::unique_ptr<BIO, decltype(&BIO_free)> cert_out(BIO_new_file(cert_file.c_str(), "w"),
                                                             &BIO_free);
    ok = key_out && cert_out &&
         PEM_write_bio_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                  nullptr) == 1 &&
         PEM_write_bio_X509(cert_out.get(), cert.get()) == 1;
  }
  if (!ok) {
    throw std::system_error(EIO, std::generic_category(),
                            "cannot make a test certificate in " +
                                cert_file.parent_path().string());
  }
}

// A per-process counter for unique cluster tokens.
int next_cluster_number() {
  static std::atomic<int> counter{0};
  return ++counter;
}

// The "Content-Type: application/json" header list, plus a token when given.
http::HttpHeaders json_headers(const std::string& token) {
  http::HttpHeaders headers = {{"Content-Type", "application/json"}};
  if (!token.empty()) {
    headers.emplace_back("Authorization", token);
  }
  return headers;
}

} // namespace

EtcdCluster::EtcdCluster(EtcdClusterOptions options)
    : m_options(options), m_dir(swept_base(), run_scoped_prefix(k_dir_prefix)),
      m_token("sharectl-test-" + std::to_string(::getpid()) + "-" +
              std::to_string(next_cluster_number())),
      m_members(static_cast<std::size_t>(std::max(1, options.members))) {
  if (!m_options.tls) {
    return;
  }
  // etcd's own gRPC gateway dials its gRPC server with the *server* certificate as its client
  // certificate, so with --client-cert-auth that certificate must allow clientAuth too and be
  // among the trusted CAs, or every /v3/ request fails with "connection closed".
  write_certificate(ca_file(), dir() / "server-key.pem", "127.0.0.1", "serverAuth,clientAuth",
                    "IP:127.0.0.1");
  write_certificate(client_cert_file(), client_key_file(), "sharectl-test-client", "clientAuth",
                    nullptr);
  {
    std::ofstream trusted(dir() / "trusted.pem");
    trusted << std::ifstream(ca_file()).rdbuf() << std::ifstream(client_cert_file()).rdbuf();
    if (!trusted.flush()) {
      throw std::system_error(EIO, std::generic_category(), "cannot write trusted.pem");
    }
  }
  http::ClientOptions client;
  client.ca_file = ca_file();
  client.client_cert_file = client_cert_file();
  client.client_key_file = client_key_file();
  m_http = http::HttpClient(client);
}

fs::path EtcdCluster::ca_file() const {
  return dir() / "server.pem";
}

fs::path EtcdCluster::client_cert_file() const {
  return dir() / "client.pem";
}

fs::path EtcdCluster::client_key_file() const {
  return dir() / "client-key.pem";
}

EtcdCluster::~EtcdCluster() {
  for (Member& member : m_members) {
    if (member.process.pid() > 0) {
      (void)member.process.stop(SIGKILL, std::chrono::milliseconds(0));
    }
  }
}

std::string EtcdCluster::endpoint(int i) const {
  return "127.0.0.1:" + std::to_string(client_port(i));
}

std::string EtcdCluster::endpoints() const {
  std::string out;
  for (int i = 0; i < size(); ++i) {
    out += (i == 0 ? "" : ",") + endpoint(i);
  }
  return out;
}

std::string EtcdCluster::client_url(int i) const {
  return (m_options.tls ? "https://" : "http://") + endpoint(i);
}

int EtcdCluster::client_port(int i) const {
  return m_members.at(static_cast<std::size_t>(i)).client_port;
}

pid_t EtcdCluster::pid(int i) const {
  return m_members.at(static_cast<std::size_t>(i)).process.pid();
}

fs::path EtcdCluster::log_path(int i) const {
  return dir() / ("m" + std::to_string(i) + ".log");
}

bool EtcdCluster::running(int i) {
  return m_members.at(static_cast<std::size_t>(i)).process.running();
}

int EtcdCluster::running_count() {
  int count = 0;
  for (int i = 0; i < size(); ++i) {
    count += running(i) ? 1 : 0;
  }
  return count;
}

std::vector<std::string> EtcdCluster::argv(int i) const {
  std::string initial_cluster;
  for (int m = 0; m < size(); ++m) {
    initial_cluster += (m == 0 ? "" : ",") + ("m" + std::to_string(m)) +
                       "=http://127.0.0.1:" + std::to_string(m_members[m].peer_port);
  }
  const std::string client = client_url(i);
  const std::string peer =
      "http://127.0.0.1:" + std::to_string(m_members[static_cast<std::size_t>(i)].peer_port);
  std::vector<std::string> args = {"etcd",
                                   "--name=m" + std::to_string(i),
                                   "--data-dir=" + (dir() / ("m" + std::to_string(i))).string(),
                                   "--listen-client-urls=" + client,
                                   "--advertise-client-urls=" + client,
                                   "--listen-peer-urls=" + peer,
                                   "--initial-advertise-peer-urls=" + peer,
                                   "--initial-cluster=" + initial_cluster,
                                   "--initial-cluster-state=new",
                                   "--initial-cluster-token=" + m_token,
                                   "--logger=zap",
                                   "--log-outputs=stderr"};
  if (m_options.tls) {
    args.insert(args.end(),
                {"--cert-file=" + ca_file().string(),
                 "--key-file=" + (dir() / "server-key.pem").string(), "--client-cert-auth",
                 "--trusted-ca-file=" + (dir() / "trusted.pem").string()});
  }
  if (m_options.auth_token_ttl_seconds) {
    args.push_back("--auth-token-ttl=" + std::to_string(*m_options.auth_token_ttl_seconds));
  }
  return args;
}

Status EtcdCluster::spawn(int i) {
  SpawnOptions options;
  options.argv = argv(i);
  options.log_file = log_path(i);
  options.parent_death_signal = SIGKILL;
  auto child = ChildProcess::spawn(options);
  if (!child) {
    return std::unexpected(child.error());
  }
  m_members[static_cast<std::size_t>(i)].process = std::move(*child);
  return {};
}

bool EtcdCluster::healthy(int i) {
  auto response = m_http.request("GET", client_url(i) + "/health", {}, {}, std::chrono::seconds(5));
  if (!response || response->status != 200) {
    return false;
  }
  const json body = json::parse(response->body, nullptr, false);
  return body.is_object() && body.value("health", "") == "true";
}

Status EtcdCluster::wait_healthy(int i, bool require_health,
                                 std::chrono::steady_clock::time_point deadline) {
  Member& member = m_members[static_cast<std::size_t>(i)];
  while (!pid_listens_on(member.process.pid(), member.client_port) ||
         (require_health && !healthy(i))) {
    if (const auto exited = member.process.exit_status()) {
      const std::string tail = tail_of_file(log_path(i));
      (void)member.process.stop(SIGKILL, std::chrono::milliseconds(0));
      return fail(ErrorCode::unavailable, "etcd member m" + std::to_string(i) +
                                              " exited with status " + std::to_string(*exited) +
                                              " during start-up:\n" + tail);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(ErrorCode::unavailable, "etcd member m" + std::to_string(i) + " was not " +
                                              (require_health ? "healthy" : "listening") +
                                              " within " + std::to_string(k_start_timeout.count()) +
                                              " s:\n" + tail_of_file(log_path(i)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return {};
}

Status EtcdCluster::start_once(bool& port_taken) {
  port_taken = false;
  for (Member& member : m_members) {
    member.client_port = free_tcp_port();
    member.peer_port = free_tcp_port();
  }
  std::error_code ec;
  for (int i = 0; i < size(); ++i) {
    fs::remove_all(dir() / ("m" + std::to_string(i)), ec); // a failed attempt's data
    if (auto status = spawn(i); !status) {
      return status;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + k_start_timeout;
  for (int i = 0; i < size(); ++i) {
    if (auto status = wait_healthy(i, true, deadline); !status) {
      port_taken = status.error().message.find("address already in use") != std::string::npos;
      for (Member& member : m_members) {
        if (member.process.pid() > 0) {
          (void)member.process.stop(SIGKILL, std::chrono::milliseconds(0));
        }
      }
      return status;
    }
  }
  return {};
}

Status EtcdCluster::start() {
  if (m_started) {
    return fail(ErrorCode::conflict, "the etcd cluster was already started");
  }
  if (!find_program("etcd")) {
    return fail(ErrorCode::not_found, "etcd is not installed (Debian package etcd-server)");
  }
  Status status;
  for (int attempt = 0; attempt < k_start_attempts; ++attempt) {
    bool port_taken = false;
    status = start_once(port_taken);
    if (status || !port_taken) {
      break;
    }
  }
  m_started = status.has_value();
  return status;
}

Status EtcdCluster::kill(int i) {
  Member& member = m_members.at(static_cast<std::size_t>(i));
  if (member.process.pid() <= 0) {
    return fail(ErrorCode::conflict, "etcd member m" + std::to_string(i) + " was never started");
  }
  auto stopped = member.process.stop(SIGKILL, std::chrono::milliseconds(0));
  return stopped ? Status{} : std::unexpected(stopped.error());
}

Status EtcdCluster::stop(int i) {
  Member& member = m_members.at(static_cast<std::size_t>(i));
  if (member.process.pid() <= 0) {
    return {};
  }
  auto stopped = member.process.stop(SIGTERM, k_stop_grace);
  return stopped ? Status{} : std::unexpected(stopped.error());
}

Status EtcdCluster::restart(int i) {
  if (!m_started) {
    return fail(ErrorCode::conflict, "restart: the etcd cluster was never started");
  }
  if (auto status = stop(i); !status) {
    return status;
  }
  if (auto status = spawn(i); !status) {
    return status;
  }
  const bool quorum = running_count() * 2 > size();
  return wait_healthy(i, quorum, std::chrono::steady_clock::now() + k_start_timeout);
}

Result<int> EtcdCluster::leader() {
  const auto deadline = std::chrono::steady_clock::now() + k_leader_timeout;
  while (true) {
    for (int i = 0; i < size(); ++i) {
      if (!running(i)) {
        continue;
      }
      auto response = post(i, "/v3/maintenance/status", "{}");
      if (!response || response->status != 200) {
        continue;
      }
      const json body = json::parse(response->body, nullptr, false);
      if (!body.is_object() || !body.contains("leader") || !body.contains("header")) {
        continue;
      }
      const std::string leader = body.value("leader", "");
      if (body["header"].value("member_id", "") == leader) {
        return i;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(ErrorCode::unavailable, "no etcd member reported itself leader within " +
                                              std::to_string(k_leader_timeout.count()) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Status EtcdCluster::enable_auth(std::string_view root_password) {
  int target = -1;
  for (int i = 0; i < size() && target < 0; ++i) {
    target = running(i) ? i : -1;
  }
  if (target < 0) {
    return fail(ErrorCode::unavailable, "enable_auth: no etcd member runs");
  }
  const std::string password(root_password);
  const std::pair<std::string_view, json> steps[] = {
      {"/v3/auth/user/add", json{{"name", "root"}, {"password", password}}},
      {"/v3/auth/role/add", json{{"name", "root"}}},
      {"/v3/auth/user/grant", json{{"user", "root"}, {"role", "root"}}},
      {"/v3/auth/enable", json::object()},
  };
  for (const auto& [path, body] : steps) {
    auto response = m_http.request("POST", client_url(target) + std::string(path), json_headers(""),
                                   body.dump(), k_request_timeout);
    if (!response) {
      return std::unexpected(response.error());
    }
    if (response->status != 200 &&
        response->body.find("role name already exists") == std::string::npos) {
      return fail(ErrorCode::internal, "etcd " + std::string(path) + " answered " +
                                           std::to_string(response->status) + ": " +
                                           response->body);
    }
  }
  m_root_password = password;
  return {};
}

Result<http::HttpResponse> EtcdCluster::post(int i, std::string_view path, std::string_view body) {
  std::string token;
  if (!m_root_password.empty()) {
    const std::string credentials = json{{"name", "root"}, {"password", m_root_password}}.dump();
    auto response = m_http.request("POST", client_url(i) + "/v3/auth/authenticate",
                                   json_headers(""), credentials, k_request_timeout);
    if (!response) {
      return std::unexpected(response.error());
    }
    const json parsed = json::parse(response->body, nullptr, false);
    if (response->status != 200 || !parsed.is_object() || !parsed.contains("token")) {
      return fail(ErrorCode::internal, "etcd authenticate as root answered " +
                                           std::to_string(response->status) + ": " +
                                           response->body);
    }
    token = parsed["token"].get<std::string>();
  }
  return m_http.request("POST", client_url(i) + std::string(path), json_headers(token), body,
                        k_request_timeout);
}

} // namespace sharectl::test
