#include "common/http/client.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "common/util/ascii.hpp"
#include "common/util/hash.hpp"
#include "common/version.hpp"

namespace sharectl::http {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

// What the TLS verify callback compares against and what it saw, for one transfer.
struct PinState {
  std::string expected; // canonical fingerprint; "" = record only and accept (fetch mode)
  std::string seen;     // the leaf certificate's fingerprint, once the handshake got that far
};

std::string leaf_fingerprint(X509_STORE_CTX* store) {
  X509* cert = X509_STORE_CTX_get0_cert(store);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (cert == nullptr || X509_digest(cert, EVP_sha256(), digest, &length) != 1) {
    return {};
  }
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

// Replaces OpenSSL's chain verification: the leaf certificate must have the pinned fingerprint.
int verify_pinned(X509_STORE_CTX* store, void* arg) {
  auto* pin = static_cast<PinState*>(arg);
  pin->seen = leaf_fingerprint(store);
  if (pin->expected.empty()) {
    return 1;
  }
  if (!pin->seen.empty() && constant_time_equal(pin->seen, pin->expected)) {
    return 1;
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return 0;
}

CURLcode install_pin(CURL*, void* ssl_ctx, void* arg) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  // curl set SSL_VERIFY_NONE (verification is ours); with it a failed check would be ignored.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, verify_pinned, arg);
  return CURLE_OK;
}

struct Transfer {
  HttpResponse response;
  std::size_t max_bytes = 0;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* arg) {
  auto* transfer = static_cast<Transfer*>(arg);
  const auto n = size * count;
  if (transfer->response.body.size() + n > transfer->max_bytes) {
    transfer->too_large = true;
    return 0;
  }
  transfer->response.body.append(data, n);
  return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* arg) {
  auto* transfer = static_cast<Transfer*>(arg);
  const auto n = size * count;
  const std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    transfer->response.headers.clear(); // a new response (after 100 Continue) starts
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    transfer->response.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                            std::string(trim(line.substr(colon + 1))));
  }
  return n;
}

// CURLOPT_PREREQFUNCTION: a connection is ready and the request is about to be sent.
int on_prereq(void* arg, char*, char*, int, int) {
  static_cast<RequestProgress*>(arg)->sent = true;
  return CURL_PREREQFUNC_OK;
}

bool valid_method(std::string_view method) {
  return !method.empty() && method.size() <= 16 &&
         std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool has_line_break(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// "certificate not trusted: URL: curl's words; its SHA-256 fingerprint is …; HINT". The
// fingerprint comes from a second, unverified handshake (left out when that fails too).
std::string untrusted_message(const std::string& url, const std::string& detail,
                              const std::string& hint) {
  std::string message = "certificate not trusted: " + url + ": " + detail;
  if (auto seen = fetch_server_fingerprint(url, std::chrono::seconds(5)); seen) {
    message += "; its SHA-256 fingerprint is " + display_fingerprint(*seen);
  }
  if (!hint.empty()) {
    message += "; " + hint;
  }
  return message;
}

} // namespace

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

Result<std::string> normalize_fingerprint(std::string_view text) {
  text = trim(text);
  for (const std::string_view prefix : {"sha256 fingerprint=", "sha256:", "sha256="}) {
    if (text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix)) {
      text.remove_prefix(prefix.size());
      break;
    }
  }
  std::string out;
  for (const char c : text) {
    if (c == ':' || c == ' ') {
      continue;
    }
    if (!is_hex_digit(c)) {
      return fail(ErrorCode::bad_request, "a SHA-256 fingerprint holds only hex digits and ':'");
    }
    out.push_back(ascii_lower(c));
  }
  if (out.size() != 64) {
    return fail(ErrorCode::bad_request,
                "a SHA-256 fingerprint has 64 hex digits, got " + std::to_string(out.size()));
  }
  return out;
}

std::string display_fingerprint(std::string_view canonical) {
  if (canonical.size() != 64) {
    return std::string(canonical);
  }
  std::string out;
  for (std::size_t i = 0; i < canonical.size(); i += 2) {
    if (i != 0) {
      out.push_back(':');
    }
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(canonical[i]))));
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(canonical[i + 1]))));
  }
  return out;
}

struct HttpClient::Impl {
  ClientOptions options;
  std::mutex mutex;
  PinState pin; // outlives the connections whose TLS verify callback points at it
  CURL* curl = nullptr;
  std::size_t connections = 0;

  ~Impl() {
    if (curl != nullptr) {
      curl_easy_cleanup(curl);
    }
  }
};

HttpClient::HttpClient(ClientOptions options) : m_impl(std::make_unique<Impl>()) {
  global_init();
  m_impl->options = std::move(options);
}

HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

std::size_t HttpClient::connections_opened() const {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->connections;
}

Result<HttpResponse> HttpClient::request(std::string_view method, const std::string& url,
                                         const HttpHeaders& headers, std::string_view body,
                                         std::chrono::milliseconds timeout,
                                         RequestProgress* progress) {
  RequestProgress ignored_progress;
  if (progress == nullptr) {
    progress = &ignored_progress;
  }
  *progress = RequestProgress{};
  if (!valid_method(method)) {
    return fail(ErrorCode::bad_request, "bad HTTP method '" + std::string(method) + "'");
  }
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return fail(ErrorCode::bad_request, "URL must start with http:// or https://: " + url);
  }
  const auto& options = m_impl->options;
  std::string pinned;
  if (!options.pinned_fingerprint.empty()) {
    auto canonical = normalize_fingerprint(options.pinned_fingerprint);
    if (!canonical) {
      return std::unexpected(canonical.error());
    }
    pinned = std::move(*canonical);
  }
  curl_slist* list = nullptr;
  for (const auto& [name, value] : headers) {
    if (name.empty() || has_line_break(name) || has_line_break(value) ||
        name.find(':') != std::string::npos) {
      curl_slist_free_all(list);
      return fail(ErrorCode::bad_request, "bad HTTP header '" + name + "'");
    }
    // "Name;" sends a header with an empty value; "Name:" would remove it.
    const auto line = value.empty() ? name + ";" : name + ": " + value;
    list = curl_slist_append(list, line.c_str());
  }
  const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> list_guard(
      list, &curl_slist_free_all);

  std::lock_guard lock(m_impl->mutex);
  if (m_impl->curl == nullptr) {
    m_impl->curl = curl_easy_init();
    if (m_impl->curl == nullptr) {
      return fail(ErrorCode::internal, "curl_easy_init failed");
    }
  }
  CURL* curl = m_impl->curl;
  curl_easy_reset(curl); // keeps the connection cache
  auto& pin = m_impl->pin;
  pin.expected = pinned;
  pin.seen.clear();
  Transfer transfer;
  transfer.max_bytes = options.max_response_bytes;
  char error_buffer[CURL_ERROR_SIZE] = {};
  const std::string method_text(method);
  const auto user_agent =
      options.user_agent.empty() ? std::string("sharectl/") + k_version : options.user_agent;
  const long timeout_ms = std::max<long>(1, static_cast<long>(timeout.count()));
  const long connect_ms =
      std::min(timeout_ms, std::max<long>(1, static_cast<long>(options.connect_timeout.count())));

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
  const std::string interface = "host!" + options.local_address;
  if (!options.local_address.empty()) {
    curl_easy_setopt(curl, CURLOPT_INTERFACE, interface.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  }
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (!options.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  }
  if (!options.client_cert_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, options.client_cert_file.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!options.client_key_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLKEY, options.client_key_file.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
  curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, on_prereq);
  curl_easy_setopt(curl, CURLOPT_PREREQDATA, progress);
  if (!pin.expected.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, install_pin);
    curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, &pin);
  }

  const CURLcode code = curl_easy_perform(curl);
  long connects = 0;
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
  m_impl->connections += static_cast<std::size_t>(std::max(0L, connects));
  if (code != CURLE_OK) {
    const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    progress->timed_out = code == CURLE_OPERATION_TIMEDOUT;
    if (code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL) {
      return fail(ErrorCode::bad_request, "bad URL " + url + ": " + detail);
    }
    if (transfer.too_large) {
      return fail(ErrorCode::unavailable, url + ": the response is larger than " +
                                              std::to_string(options.max_response_bytes) +
                                              " bytes");
    }
    if (!pin.expected.empty() && !pin.seen.empty() && pin.seen != pin.expected) {
      return fail(ErrorCode::unavailable,
                  url + ": the server's certificate fingerprint " + display_fingerprint(pin.seen) +
                      " does not match the pinned " + display_fingerprint(pin.expected) +
                      " (the certificate changed, or someone is intercepting the connection)");
    }
    if (code == CURLE_PEER_FAILED_VERIFICATION && pin.expected.empty()) {
      return fail(ErrorCode::unavailable, untrusted_message(url, detail, options.untrusted_hint));
    }
    return fail(ErrorCode::unavailable, "cannot reach " + url + ": " + detail);
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  transfer.response.status = static_cast<int>(status);
  return std::move(transfer.response);
}

Result<std::string> fetch_server_fingerprint(const std::string& url,
                                             std::chrono::milliseconds timeout) {
  if (!url.starts_with("https://")) {
    return fail(ErrorCode::bad_request, "a certificate fingerprint needs an https:// URL: " + url);
  }
  global_init();
  const std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(),
                                                                 &curl_easy_cleanup);
  if (!curl) {
    return fail(ErrorCode::internal, "curl_easy_init failed");
  }
  PinState pin; // expected empty: record and accept
  char error_buffer[CURL_ERROR_SIZE] = {};
  const long timeout_ms = std::max<long>(1, static_cast<long>(timeout.count()));
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(handle, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(handle, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(handle, CURLOPT_SSL_SESSIONID_CACHE, 0L);
  curl_easy_setopt(handle, CURLOPT_SSL_CTX_FUNCTION, install_pin);
  curl_easy_setopt(handle, CURLOPT_SSL_CTX_DATA, &pin);
  const CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) {
    const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    if (code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL) {
      return fail(ErrorCode::bad_request, "bad URL " + url + ": " + detail);
    }
    return fail(ErrorCode::unavailable, "cannot reach " + url + ": " + detail);
  }
  if (pin.seen.empty()) {
    return fail(ErrorCode::unavailable, url + ": the server presented no certificate");
  }
  return pin.seen;
}

} // namespace sharectl::http
