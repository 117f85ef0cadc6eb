// The client side of the agent's HTTP API (SPEC.md "HTTP API"): one request helper that adds
// X-User-ID and Bearer credentials, sends JSON, and turns every failure into an Error whose
// code gives the exit code — the agent's error body when there is one, else the HTTP status,
// and unavailable (exit 8) for connection and TLS failures.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/credentials/credentials.hpp"
#include "common/util/error.hpp"

namespace sharectl::http {
class HttpClient;
}

namespace sharectl::cli {

// How to reach and authenticate to one agent.
struct ApiClientOptions {
  std::string server;             // base URL, e.g. "https://storage1:7443" (no trailing /)
  std::filesystem::path ca_file;  // trust this CA instead of the system store
  std::string pinned_fingerprint; // or trust exactly this certificate
  std::chrono::milliseconds timeout{60'000};
  std::optional<Credentials> credentials; // sent as X-User-ID + Authorization: Bearer
  std::ostream* verbose = nullptr;        // -v: one line per request with status and time
};

// Query parameters, in order; values are percent-encoded by the client.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Calls the agent's /api/v1 routes.
class ApiClient {
public:
  // A client for these options. Never fails.
  explicit ApiClient(ApiClientOptions options);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // Sends METHOD server+path(+query) with a JSON body (when not empty) and returns the body of a
  // 2xx answer ("" for 204). Fails with the code of the agent's error body, or by HTTP status
  // when there is none, or unavailable when the agent cannot be reached.
  Result<std::string> call(std::string_view method, const std::string& path,
                           std::string_view json_body = {}, const QueryParams& query = {});

  // The options in use.
  const ApiClientOptions& options() const { return m_options; }

  // The store revision the last successful change was committed at (the agent's
  // X-Sharectl-Revision header), for --wait; nullopt when the answer carried none.
  std::optional<std::int64_t> last_revision() const { return m_last_revision; }

private:
  ApiClientOptions m_options;
  std::optional<std::int64_t> m_last_revision;
  std::unique_ptr<http::HttpClient> m_http;
};

// The header with which the agent answers a change that a host applies: the store revision the
// change was committed at (SPEC.md --wait; objects' observed_revision reaches it once applied).
inline constexpr std::string_view k_revision_header = "X-Sharectl-Revision";

// Percent-encodes one path segment or query value (RFC 3986 unreserved characters are kept).
// Never fails.
std::string url_encode(std::string_view text);

// The Error for a non-2xx answer: the agent's error body if it is one, else
// error_code_from_http_status(status) with "the agent answered HTTP STATUS". Never fails.
Error error_from_response(int status, std::string_view body);

} // namespace sharectl::cli
