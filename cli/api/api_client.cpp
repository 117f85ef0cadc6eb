#include "cli/api/api_client.hpp"

#include <charconv>
#include <chrono>
#include <ostream>

#include <fmt/core.h>

#include "common/http/client.hpp"
#include "common/json/error_body.hpp"

namespace sharectl::cli {

namespace {

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

} // namespace

std::string url_encode(std::string_view text) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (unreserved(c)) {
      out.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(k_hex[byte >> 4]);
      out.push_back(k_hex[byte & 0xF]);
    }
  }
  return out;
}

Error error_from_response(int status, std::string_view body) {
  if (auto parsed = json::parse_error_body(body)) {
    return *parsed;
  }
  return Error{error_code_from_http_status(status),
               fmt::format("the agent answered HTTP {}", status)};
}

ApiClient::ApiClient(ApiClientOptions options) : m_options(std::move(options)) {
  http::ClientOptions http_options;
  http_options.ca_file = m_options.ca_file;
  http_options.pinned_fingerprint = m_options.pinned_fingerprint;
  http_options.connect_timeout = std::min(m_options.timeout, std::chrono::milliseconds(10'000));
  http_options.untrusted_hint =
      "trust its CA with --ca-file PATH (or `ca_file:` in the profile), or pin this fingerprint "
      "with `fingerprint:` in the profile of the config file (`sharectl login` on a terminal "
      "offers to pin it)";
  m_http = std::make_unique<http::HttpClient>(std::move(http_options));
}

ApiClient::~ApiClient() = default;

Result<std::string> ApiClient::call(std::string_view method, const std::string& path,
                                    std::string_view json_body, const QueryParams& query) {
  std::string url = m_options.server;
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  url += path;
  char separator = '?';
  for (const auto& [key, value] : query) {
    url += separator;
    url += url_encode(key);
    url += '=';
    url += url_encode(value);
    separator = '&';
  }
  http::HttpHeaders headers{{"Accept", "application/json"}};
  if (!json_body.empty()) {
    headers.emplace_back("Content-Type", "application/json");
  }
  if (m_options.credentials) {
    headers.emplace_back("X-User-ID", m_options.credentials->user_id);
    headers.emplace_back("Authorization", "Bearer " + m_options.credentials->token);
  }
  m_last_revision.reset();
  const auto start = std::chrono::steady_clock::now();
  auto response = m_http->request(method, url, headers, json_body, m_options.timeout);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (m_options.verbose != nullptr) {
    *m_options.verbose << fmt::format(
        "sharectl: {} {} -> {} ({} ms)\n", method, url,
        response ? std::to_string(response->status) : std::string("failed"), elapsed.count());
  }
  if (!response) {
    return fail(ErrorCode::unavailable, response.error().message);
  }
  if (response->status < 200 || response->status >= 300) {
    return std::unexpected(error_from_response(response->status, response->body));
  }
  m_last_revision.reset();
  if (auto revision = response->header(k_revision_header)) {
    std::int64_t value = 0;
    const auto* end = revision->data() + revision->size();
    if (auto [ptr, ec] = std::from_chars(revision->data(), end, value);
        ec == std::errc() && ptr == end && value > 0) {
      m_last_revision = value;
    }
  }
  return std::move(response->body);
}

} // namespace sharectl::cli
