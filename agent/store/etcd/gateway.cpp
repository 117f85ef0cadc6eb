#include "agent/store/etcd/gateway.hpp"

#include <utility>

#include "agent/store/etcd/codec.hpp"
#include "agent/store/etcd/json_stream.hpp"

namespace sharectl::store::etcd {

namespace {

// A transaction is idempotent when it only reads.
bool read_only(const TxnRequest& request) {
  const auto reads = [](const std::vector<RequestOp>& ops) {
    for (const RequestOp& op : ops) {
      if (!std::holds_alternative<RangeRequest>(op)) {
        return false;
      }
    }
    return true;
  };
  return reads(request.success) && reads(request.failure);
}

// The first document of a one-message stream response (lease keepalive).
Result<std::string> first_document(std::string_view body) {
  JsonStreamSplitter splitter;
  splitter.feed(body);
  auto document = splitter.next();
  if (!document) {
    return std::unexpected(document.error());
  }
  if (!*document) {
    return fail(ErrorCode::internal, "etcd gateway sent an incomplete stream message");
  }
  return std::move(**document);
}

} // namespace

// Borrows an HttpClient from the pool and gives it back.
class EtcdGateway::ClientLease {
public:
  explicit ClientLease(EtcdGateway& gateway)
      : m_gateway(gateway), m_client(gateway.acquire_client()) {}
  ~ClientLease() { m_gateway.release_client(std::move(m_client)); }
  ClientLease(const ClientLease&) = delete;
  ClientLease& operator=(const ClientLease&) = delete;
  http::HttpClient& operator*() { return *m_client; }
  http::HttpClient* operator->() { return m_client.get(); }

private:
  EtcdGateway& m_gateway;
  std::unique_ptr<http::HttpClient> m_client;
};

// The outcome of one round over the endpoints.
struct EtcdGateway::Attempt {
  Result<std::string> body;
  bool invalid_token = false; // the member refused the token (body holds that error)
};

EtcdGateway::EtcdGateway(EtcdUrl url, GatewayOptions options)
    : m_url(std::move(url)), m_options(options) {
  m_client_options.ca_file = m_url.ca_file;
  m_client_options.client_cert_file = m_url.cert_file;
  m_client_options.client_key_file = m_url.key_file;
  m_client_options.connect_timeout = m_options.connect_timeout;
}

EtcdGateway::~EtcdGateway() = default;

GatewayStats EtcdGateway::stats() const {
  return GatewayStats{m_authentications.load(), m_token_renewals.load(), m_failovers.load()};
}

http::HttpHeaders EtcdGateway::request_headers(const std::string& token, bool require_leader) {
  http::HttpHeaders headers = {{"Content-Type", "application/json"}};
  if (require_leader) {
    // grpc-gateway passes Grpc-Metadata-* on as gRPC metadata; etcd's "hasleader" makes a member
    // without a leader refuse at once (rpctypes.MetadataRequireLeaderKey).
    headers.emplace_back("Grpc-Metadata-hasleader", "true");
  }
  if (!token.empty()) {
    headers.emplace_back("Authorization", token);
  }
  return headers;
}

std::unique_ptr<http::HttpClient> EtcdGateway::acquire_client() {
  {
    std::lock_guard lock(m_pool_mutex);
    if (!m_idle.empty()) {
      auto client = std::move(m_idle.back());
      m_idle.pop_back();
      return client;
    }
  }
  return std::make_unique<http::HttpClient>(m_client_options);
}

void EtcdGateway::release_client(std::unique_ptr<http::HttpClient> client) {
  std::lock_guard lock(m_pool_mutex);
  if (client && m_idle.size() < m_options.max_idle_clients) {
    m_idle.push_back(std::move(client));
  }
}

Result<std::string> EtcdGateway::token() {
  if (m_url.user.empty()) {
    return std::string();
  }
  {
    std::lock_guard lock(m_token_mutex);
    if (!m_token.empty()) {
      return m_token;
    }
  }
  std::lock_guard auth_lock(m_auth_mutex);
  {
    std::lock_guard lock(m_token_mutex);
    if (!m_token.empty()) {
      return m_token; // another thread authenticated while we waited
    }
  }
  auto fresh = authenticate();
  if (!fresh) {
    return std::unexpected(fresh.error());
  }
  std::lock_guard lock(m_token_mutex);
  m_token = *fresh;
  ++m_authentications;
  return m_token;
}

void EtcdGateway::token_rejected(const std::string& token) {
  std::lock_guard lock(m_token_mutex);
  if (m_token == token) {
    m_token.clear();
  }
}

Result<std::string> EtcdGateway::authenticate() {
  auto attempt = send_with_failover("authenticate", "/v3/auth/authenticate",
                                    encode_authenticate(m_url.user, m_url.password), true, "");
  if (!attempt.body) {
    Error error = attempt.body.error();
    if (error.message.find("authentication failed") != std::string::npos) {
      error.message = "etcd refused the credentials of user '" + m_url.user + "': " + error.message;
    }
    return std::unexpected(std::move(error));
  }
  return decode_authenticate(*attempt.body);
}

EtcdGateway::Attempt EtcdGateway::send_with_failover(std::string_view operation,
                                                     std::string_view path, const std::string& body,
                                                     bool idempotent, const std::string& token) {
  const std::size_t count = m_url.endpoints.size();
  if (count == 0) {
    return {fail(ErrorCode::bad_request, "etcd URL has no endpoints"), false};
  }
  const http::HttpHeaders headers = request_headers(token);
  const std::size_t first = m_preferred.load() % count;
  std::string tried;
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t i = (first + k) % count;
    const std::string& endpoint = m_url.endpoints[i];
    if (k > 0) {
      ++m_failovers;
    }
    http::RequestProgress progress;
    Result<http::HttpResponse> response = [&] {
      ClientLease client(*this);
      return client->request("POST", m_url.base_url(i) + std::string(path), headers, body,
                             m_options.request_timeout, &progress);
    }();
    if (!response) {
      if (response.error().code == ErrorCode::bad_request) {
        return {std::unexpected(response.error()), false}; // our own request is malformed
      }
      tried += (tried.empty() ? "" : "; ") + endpoint + ": " + response.error().message;
      if (!progress.sent || idempotent) {
        continue; // certainly not received, or harmless to repeat
      }
      return {std::unexpected(outcome_unknown(operation, endpoint, response.error().message)),
              false};
    }
    if (response->status == 200) {
      m_preferred.store(i);
      return {std::move(response->body), false};
    }
    const GatewayError error = decode_gateway_error(response->status, response->body);
    switch (classify(error)) {
    case ErrorClass::retry_elsewhere:
      tried += (tried.empty() ? "" : "; ") + endpoint + ": " + error.message;
      continue;
    case ErrorClass::maybe_applied:
      tried += (tried.empty() ? "" : "; ") + endpoint + ": " + error.message;
      if (idempotent) {
        continue;
      }
      return {std::unexpected(outcome_unknown(operation, endpoint, error.message)), false};
    case ErrorClass::invalid_token:
      m_preferred.store(i);
      return {std::unexpected(to_error(error, operation, endpoint)), true};
    case ErrorClass::definite:
      m_preferred.store(i);
      return {std::unexpected(to_error(error, operation, endpoint)), false};
    }
  }
  return {fail(ErrorCode::unavailable,
               "no etcd member answered the " + std::string(operation) + " (tried " + tried + ")"),
          false};
}

Result<std::string> EtcdGateway::call(std::string_view operation, std::string_view path,
                                      const std::string& body, bool idempotent) {
  bool renewed = false;
  while (true) {
    auto current = token();
    if (!current) {
      return std::unexpected(current.error());
    }
    Attempt attempt = send_with_failover(operation, path, body, idempotent, *current);
    if (attempt.invalid_token && !m_url.user.empty() && !renewed) {
      // Simple tokens expire after --auth-token-ttl without use, and each member forgets them
      // on its own: authenticate again and resend once (etcd refused it before acting).
      token_rejected(*current);
      ++m_token_renewals;
      renewed = true;
      continue;
    }
    if (attempt.invalid_token) {
      Error error = attempt.body.error();
      error.code = ErrorCode::unavailable;
      return std::unexpected(std::move(error));
    }
    return std::move(attempt.body);
  }
}

Result<RangeResponse> EtcdGateway::range(const RangeRequest& request) {
  auto body = call("range", "/v3/kv/range", encode_range(request), true);
  if (!body) {
    return std::unexpected(body.error());
  }
  return decode_range(*body);
}

Result<PutResponse> EtcdGateway::put(const PutRequest& request) {
  auto body = call("put", "/v3/kv/put", encode_put(request), false);
  if (!body) {
    return std::unexpected(body.error());
  }
  return decode_put(*body);
}

Result<DeleteRangeResponse> EtcdGateway::delete_range(const DeleteRangeRequest& request) {
  auto body = call("deleterange", "/v3/kv/deleterange", encode_delete_range(request), false);
  if (!body) {
    return std::unexpected(body.error());
  }
  return decode_delete_range(*body);
}

Result<TxnResponse> EtcdGateway::txn(const TxnRequest& request) {
  auto body = call("txn", "/v3/kv/txn", encode_txn(request), read_only(request));
  if (!body) {
    return std::unexpected(body.error());
  }
  return decode_txn(*body);
}

Result<ResponseHeader> EtcdGateway::compact(std::int64_t revision, bool physical) {
  auto body = call("compaction", "/v3/kv/compaction", encode_compaction(revision, physical), false);
  if (!body) {
    return std::unexpected(body.error());
  }
  return decode_header_only(*body);
}

Result<LeaseGrantResponse> EtcdGateway::lease_grant(std::int64_t ttl_seconds, std::int64_t id) {
  auto body = call("lease grant", "/v3/lease/grant", encode_lease_grant(ttl_seconds, id), false);
  if (!body) {
    return std::unexpected(body.error());
  }
  return decode_lease_grant(*body);
}

Result<LeaseKeepAliveResponse> EtcdGateway::lease_keepalive(std::int64_t id) {
  auto body = call("lease keepalive", "/v3/lease/keepalive", encode_lease_id(id), true);
  if (!body) {
    return std::unexpected(body.error());
  }
  auto document = first_document(*body);
  if (!document) {
    return std::unexpected(document.error());
  }
  auto message = decode_keepalive_message(*document);
  if (!message) {
    return std::unexpected(message.error());
  }
  if (const auto* error = std::get_if<GatewayError>(&*message)) {
    return std::unexpected(
        to_error(*error, "lease keepalive", m_url.endpoints[preferred_endpoint()]));
  }
  auto& response = std::get<LeaseKeepAliveResponse>(*message);
  if (response.ttl <= 0) {
    return fail(ErrorCode::not_found,
                "etcd lease " + std::to_string(id) + " has expired or does not exist");
  }
  return std::move(response);
}

Result<ResponseHeader> EtcdGateway::lease_revoke(std::int64_t id) {
  auto body = call("lease revoke", "/v3/lease/revoke", encode_lease_id(id), false);
  if (!body) {
    return std::unexpected(body.error());
  }
  return decode_header_only(*body);
}

Result<MemberListResponse> EtcdGateway::member_list() {
  auto body = call("member list", "/v3/cluster/member/list", "{}", true);
  if (!body) {
    return std::unexpected(body.error());
  }
  return decode_member_list(*body);
}

Result<StatusResponse> EtcdGateway::status(std::size_t endpoint) {
  if (endpoint >= m_url.endpoints.size()) {
    return fail(ErrorCode::bad_request, "etcd status: no endpoint #" + std::to_string(endpoint));
  }
  auto current = token();
  if (!current) {
    return std::unexpected(current.error());
  }
  ClientLease client(*this);
  auto response =
      client->request("POST", m_url.base_url(endpoint) + "/v3/maintenance/status",
                      request_headers(*current, false), "{}", m_options.request_timeout);
  if (!response) {
    return std::unexpected(response.error());
  }
  if (response->status != 200) {
    return std::unexpected(to_error(decode_gateway_error(response->status, response->body),
                                    "status", m_url.endpoints[endpoint]));
  }
  return decode_status(response->body);
}

} // namespace sharectl::store::etcd
