// The etcd store URL: `etcd://[user:password@]h1:2379,h2:2379[/prefix]` (plain HTTP to the v3
// JSON gateway) and `etcds://…[?ca=PATH&cert=PATH&key=PATH]` (HTTPS, optionally with a private
// CA and a client certificate). Parsing fails with bad_request naming what is wrong; the
// password never appears in an error message nor in any display form (redacted() shows "***").
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/util/error.hpp"

namespace sharectl::store::etcd {

// The key prefix every sharectl key lives under when the URL names none.
inline constexpr std::string_view k_default_prefix = "/sharectl";

// The client port etcd listens on by default, used for a host given without a port.
inline constexpr int k_default_port = 2379;

// A parsed etcd store URL.
struct EtcdUrl {
  // "host:port" of each member to try, in the URL's order ("[::1]:2379" for IPv6).
  std::vector<std::string> endpoints;
  // "http" (etcd://) or "https" (etcds://).
  std::string scheme = "http";
  // Key prefix, starting with '/' and without a trailing '/': "/sharectl" by default.
  std::string prefix = std::string(k_default_prefix);
  // etcd user and password (percent-decoded); both empty when auth is not used.
  std::string user;
  std::string password;
  // etcds:// only: CA bundle to verify the members with (empty: the system store), client
  // certificate and its key (both or neither).
  std::filesystem::path ca_file;
  std::filesystem::path cert_file;
  std::filesystem::path key_file;

  // True for etcds://.
  bool tls() const { return scheme == "https"; }
  // "http://host:port" / "https://host:port" for endpoint i (no credentials); i < size.
  std::string base_url(std::size_t i) const;
  // The URL in normal form with the password replaced by "***" (safe for logs and errors).
  std::string redacted() const;

  friend bool operator==(const EtcdUrl&, const EtcdUrl&) = default;
};

// Parses an etcd:// or etcds:// URL. Fails with bad_request for another scheme, no host, a bad
// host or port, an endpoint given twice, a user without a password (or the reverse), a bad
// percent escape, a prefix that is not a clean key path ("//", control characters), a query on
// etcd://, an unknown or repeated query parameter, a relative ca/cert/key path, or cert without
// key (or the reverse). Messages quote the URL only in redacted form.
Result<EtcdUrl> parse_etcd_url(std::string_view url);

// The redacted form (EtcdUrl::redacted); there is no display form that shows the password.
std::string to_string(const EtcdUrl& url);

} // namespace sharectl::store::etcd
