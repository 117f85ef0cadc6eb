// The HTTP client every outbound call goes through (the CLI talking to the agent, the etcd
// gateway, JWKS and webhooks), over libcurl (curl.h stays in client.cpp). TLS certificates are
// verified by default (system store or a given CA file); a server certificate can instead be
// pinned by its SHA-256 fingerprint, as the CLI's first login does (like ssh's known_hosts). A
// client certificate can be presented (mutual TLS). A caller can learn whether a failed request
// may have reached the server (RequestProgress), to avoid repeating a non-idempotent one.
// Transport failures (refused, DNS, TLS, timeout) are ErrorCode::unavailable with curl's words;
// a certificate that fails verification says "certificate not trusted" with the server's
// fingerprint, distinct from a server that cannot be reached; an HTTP error status is not a failure
// here: it is returned in HttpResponse for the caller.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/util/error.hpp"

namespace sharectl::http {

// Header fields in order; names compare case-insensitively where looked up.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// What the server answered.
struct HttpResponse {
  int status = 0;
  HttpHeaders headers; // of the final response (not of a 100 Continue)
  std::string body;

  // The first header of this name (case-insensitive), nullopt when absent.
  std::optional<std::string_view> header(std::string_view name) const;
};

// How a client connects. The defaults verify the server against the system's CA store.
struct ClientOptions {
  std::filesystem::path ca_file; // trust this PEM CA bundle instead of the system store
  // Pinned mode when set: the server's certificate must have exactly this SHA-256 fingerprint
  // (any form normalize_fingerprint accepts); CA chain and host name are then not checked, so a
  // self-signed certificate works. A different certificate fails with unavailable.
  std::string pinned_fingerprint;
  // TLS client authentication (e.g. etcd with --client-cert-auth): a PEM certificate and its PEM
  // private key (unencrypted). Both empty: no client certificate is presented.
  std::filesystem::path client_cert_file;
  std::filesystem::path client_key_file;
  std::chrono::milliseconds connect_timeout{10'000}; // bounded by each request's timeout
  std::size_t max_response_bytes = 64 * 1024 * 1024; // larger bodies fail with unavailable
  std::string user_agent;                            // "" means "sharectl/<version>"
  std::string local_address; // the source IP address to connect from; "" lets the system choose
  // Appended to the message of a "certificate not trusted" failure: how the caller's user can
  // trust the server (the CLI names --ca-file and the profile's fingerprint pin).
  std::string untrusted_hint;
};

// How far a request got, for callers that must not repeat a request the server may already have
// acted on (a non-idempotent etcd transaction): filled in by request() whatever the outcome.
struct RequestProgress {
  // A connection was made or reused and the request was about to be written to it: the server
  // may have received it. False after a failure means it certainly did not (no connection could
  // be made, or TLS verification of the server failed). With TLS 1.3 a server that rejects our
  // client certificate does so after this point, so that failure counts as sent.
  bool sent = false;
  // The failure was the request's timeout (or the connect timeout).
  bool timed_out = false;
};

// A client that keeps connections alive between requests. One request at a time (requests from
// several threads are serialized); use one client per thread for parallel calls.
class HttpClient {
public:
  // A client with these options. Never fails (a bad fingerprint fails each request).
  explicit HttpClient(ClientOptions options = {});
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  // Sends one request (method such as "GET", "POST", "PUT", "PATCH", "DELETE"; url http:// or
  // https://) and returns the response, whatever its status. Fails with bad_request for a
  // malformed URL, method or header (CR/LF in a value), with unavailable when the server cannot
  // be reached, TLS verification or the pin fails, the timeout passes, or the response is too
  // large. A failed verification reads "certificate not trusted: URL: …; its SHA-256 fingerprint
  // is …; " followed by options.untrusted_hint. When progress is given it tells how far the
  // request got (see RequestProgress).
  Result<HttpResponse> request(std::string_view method, const std::string& url,
                               const HttpHeaders& headers = {}, std::string_view body = {},
                               std::chrono::milliseconds timeout = std::chrono::seconds(60),
                               RequestProgress* progress = nullptr);

  // How many new connections this client has opened so far (keep-alive makes it grow slowly).
  std::size_t connections_opened() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// The SHA-256 fingerprint (64 lowercase hex digits) of the certificate an https:// server
// presents, without verifying it: what the CLI shows the user before pinning it. Fails with
// bad_request for a non-https URL and unavailable when the TLS handshake cannot be made.
Result<std::string>
fetch_server_fingerprint(const std::string& url,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A fingerprint in canonical form (64 lowercase hex digits) from what a user may paste:
// optional "sha256:" / "SHA256 Fingerprint=" prefix, upper or lower case, ':' or ' ' between
// bytes. Fails with bad_request when it is not 32 bytes of hex.
Result<std::string> normalize_fingerprint(std::string_view text);

// A canonical fingerprint in the colon form people compare ("AB:CD:…", as openssl prints it).
// Never fails (other text is returned unchanged).
std::string display_fingerprint(std::string_view canonical);

} // namespace sharectl::http
