// EtcdGateway: a client of etcd's v3 JSON gateway (etcd 3.4: POST /v3/kv/range, /v3/kv/put,
// /v3/kv/deleterange, /v3/kv/txn, /v3/kv/compaction, /v3/lease/*, /v3/cluster/member/list,
// /v3/maintenance/status, /v3/auth/authenticate) over the project's HttpClient, with typed
// requests and responses (types.hpp) and endpoint fail-over:
//   * A request goes to the member that answered last; on a connection failure, a timeout, a
//     503 or an error saying the member refused before acting ("no leader", "too many
//     requests", …) it moves on to the next member, round the list once. When none answers it
//     fails with unavailable: "no etcd member answered the <op> (tried: …)" — endpoints and
//     reasons, never credentials.
//   * A write (put, delete, a txn with a put or delete, compaction, lease grant/revoke) is sent
//     to another member only when it certainly did not reach a server (no connection could be
//     made, or etcd refused it before proposing). If it may have been applied (timeout after
//     sending, connection lost, "request timed out", "leader changed", …) the call fails with
//     an unavailable Error for which is_outcome_unknown() is true: re-read and decide.
//   * Every request carries the "hasleader" gRPC metadata, so a member cut off from the
//     cluster refuses at once ("etcdserver: no leader") instead of timing out.
//   * With a user in the URL: authenticates (the password only in the JSON body, never in a
//     URL, log or message), sends the token in the Authorization header, and on "invalid auth
//     token" authenticates again once and resends that request.
// Thread-safe: calls from several threads run in parallel on a small pool of HttpClients.
// Failures are Result errors (errors.hpp explains the mapping); nothing throws.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/store/etcd/errors.hpp"
#include "agent/store/etcd/types.hpp"
#include "agent/store/etcd/url.hpp"
#include "common/http/client.hpp"
#include "common/util/error.hpp"

namespace sharectl::store::etcd {

// Timeouts and pool size.
struct GatewayOptions {
  // Per request and member; above etcd's own 7 s proposal timeout (5 s + 2 election timeouts),
  // so that etcd's "request timed out" arrives before ours.
  std::chrono::milliseconds request_timeout{10'000};
  // Per connection attempt: how long a dead host delays the move to the next member.
  std::chrono::milliseconds connect_timeout{2'000};
  // HttpClients kept for reuse (each holds keep-alive connections).
  std::size_t max_idle_clients = 8;
};

// Counters, for tests and diagnostics.
struct GatewayStats {
  std::uint64_t authentications = 0; // tokens obtained (the first and every renewal)
  std::uint64_t token_renewals = 0;  // requests resent after "invalid auth token"
  std::uint64_t failovers = 0;       // times a request moved on to another member
};

// The gateway client. Not copyable; one per store, shared by its threads.
class EtcdGateway {
public:
  // A client for url's endpoints, scheme, credentials and TLS files. Connects lazily: never
  // fails here (a missing CA or key file fails each request).
  explicit EtcdGateway(EtcdUrl url, GatewayOptions options = {});
  ~EtcdGateway();
  EtcdGateway(const EtcdGateway&) = delete;
  EtcdGateway& operator=(const EtcdGateway&) = delete;

  // Reads a key or range. Sent to another member after any transport failure.
  Result<RangeResponse> range(const RangeRequest& request);
  // Writes a key (not idempotent: see the header comment).
  Result<PutResponse> put(const PutRequest& request);
  // Deletes a key or range (not idempotent).
  Result<DeleteRangeResponse> delete_range(const DeleteRangeRequest& request);
  // Runs a transaction; a failed compare is a success with succeeded == false. Idempotent (and
  // so retried anywhere) only when every operation is a range. etcd refuses a key written twice
  // (bad_request), more than 128 operations or more than 1.5 MiB (payload_too_large).
  Result<TxnResponse> txn(const TxnRequest& request);
  // Compacts the history up to revision (not idempotent). Returns the response header.
  Result<ResponseHeader> compact(std::int64_t revision, bool physical = false);
  // Grants a lease of ttl_seconds (id 0: etcd picks one). Not idempotent.
  Result<LeaseGrantResponse> lease_grant(std::int64_t ttl_seconds, std::int64_t id = 0);
  // Refreshes a lease once; not_found when it has expired or never existed.
  Result<LeaseKeepAliveResponse> lease_keepalive(std::int64_t id);
  // Revokes a lease, deleting its keys; not_found when it does not exist. Not idempotent.
  Result<ResponseHeader> lease_revoke(std::int64_t id);
  // The cluster's members (asked of any member).
  Result<MemberListResponse> member_list();
  // Status of the member at endpoints()[endpoint] only (no fail-over, answers without a
  // leader too); unavailable when it does not answer, bad_request for an index out of range.
  Result<StatusResponse> status(std::size_t endpoint);

  // The "host:port" endpoints, in URL order.
  const std::vector<std::string>& endpoints() const { return m_url.endpoints; }
  // The URL this client was made from (show it with redacted()).
  const EtcdUrl& url() const { return m_url; }
  // Index of the member requests go to first (the last one that answered).
  std::size_t preferred_endpoint() const { return m_preferred.load(); }
  // A snapshot of the counters.
  GatewayStats stats() const;

  // For EtcdWatch and other streams sharing this client's connection settings:
  // The HttpClient options (TLS CA, client certificate, timeouts) requests are made with.
  const http::ClientOptions& client_options() const { return m_client_options; }
  // The current auth token, authenticating first when there is none; "" without a user.
  // Fails (unavailable) when no member answers or the credentials are refused.
  Result<std::string> token();
  // Forgets token (when a member called it invalid) so that the next token() authenticates.
  void token_rejected(const std::string& token);
  // The headers of a gateway request carrying token (content type, hasleader, Authorization).
  static http::HttpHeaders request_headers(const std::string& token, bool require_leader = true);

private:
  class ClientLease;
  struct Attempt;

  Result<std::string> call(std::string_view operation, std::string_view path,
                           const std::string& body, bool idempotent);
  Attempt send_with_failover(std::string_view operation, std::string_view path,
                             const std::string& body, bool idempotent, const std::string& token);
  Result<std::string> authenticate();
  std::unique_ptr<http::HttpClient> acquire_client();
  void release_client(std::unique_ptr<http::HttpClient> client);

  EtcdUrl m_url;
  GatewayOptions m_options;
  http::ClientOptions m_client_options;
  std::atomic<std::size_t> m_preferred{0};

  std::mutex m_pool_mutex;
  std::vector<std::unique_ptr<http::HttpClient>> m_idle;

  std::mutex m_auth_mutex; // one authentication at a time
  mutable std::mutex m_token_mutex;
  std::string m_token;

  std::atomic<std::uint64_t> m_authentications{0};
  std::atomic<std::uint64_t> m_token_renewals{0};
  std::atomic<std::uint64_t> m_failovers{0};
};

} // namespace sharectl::store::etcd
