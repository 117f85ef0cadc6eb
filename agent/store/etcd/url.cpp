#include "agent/store/etcd/url.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace sharectl::store::etcd {

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : c - 'A' + 10;
}

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

// Decodes %XX escapes; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size() || !is_hex(text[i + 1]) || !is_hex(text[i + 2])) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
    i += 2;
  }
  return out;
}

// The URL as it may be shown: the password (between the first ':' of the userinfo and its last
// '@') replaced by "***". Works on text that does not parse, too.
std::string redact_text(std::string_view url) {
  const auto scheme_end = url.find("://");
  const std::size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", start);
  const std::string_view authority =
      url.substr(start, authority_end == std::string_view::npos ? url.npos : authority_end - start);
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) {
    return std::string(url);
  }
  const std::string_view userinfo = authority.substr(0, at);
  const auto colon = userinfo.find(':');
  std::string out(url.substr(0, start));
  out += userinfo.substr(0, colon);
  if (colon != std::string_view::npos) {
    out += ":***";
  }
  out += url.substr(start + at);
  return out;
}

// Checks one "host[:port]" item and returns it as "host:port".
Result<std::string> parse_endpoint(std::string_view item, const std::string& shown) {
  const auto bad = [&](const std::string& why) {
    return fail(ErrorCode::bad_request, "etcd URL '" + shown + "': " + why);
  };
  if (item.empty()) {
    return bad("empty host in the host list (hosts are separated by ',')");
  }
  std::string host;
  std::string_view rest;
  if (item.front() == '[') {
    const auto close = item.find(']');
    if (close == std::string_view::npos) {
      return bad("unclosed '[' in host '" + std::string(item) + "'");
    }
    const std::string_view inside = item.substr(1, close - 1);
    if (inside.empty() || !std::all_of(inside.begin(), inside.end(),
                                       [](char c) { return is_hex(c) || c == ':' || c == '.'; })) {
      return bad("bad IPv6 address in host '" + std::string(item) + "'");
    }
    host = std::string(item.substr(0, close + 1));
    rest = item.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      return bad("unexpected text after ']' in host '" + std::string(item) + "'");
    }
  } else {
    const auto colon = item.find(':');
    host = std::string(item.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : item.substr(colon);
    if (host.empty()) {
      return bad("missing host name before ':' in '" + std::string(item) + "'");
    }
    const bool clean = std::all_of(host.begin(), host.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '-' || c == '_';
    });
    if (!clean || host.front() == '.' || host.front() == '-') {
      return bad("bad host name '" + host + "' (letters, digits, '.', '-', or [IPv6])");
    }
  }
  int port = k_default_port;
  if (!rest.empty()) {
    const std::string_view digits = rest.substr(1);
    const auto* end = digits.data() + digits.size();
    const auto parsed = std::from_chars(digits.data(), end, port);
    if (digits.empty() || parsed.ec != std::errc() || parsed.ptr != end || port < 1 ||
        port > 65535 || digits.front() == '+') {
      return bad("bad port '" + std::string(digits) + "' for host " + host +
                 " (a number from 1 to 65535)");
    }
  }
  return host + ":" + std::to_string(port);
}

// Checks and normalizes the key prefix (the URL's path): "" and "/" mean the default.
Result<std::string> parse_prefix(std::string_view path, const std::string& shown) {
  const auto decoded = percent_decode(path);
  if (!decoded) {
    return fail(ErrorCode::bad_request, "etcd URL '" + shown + "': bad %-escape in the prefix");
  }
  std::string prefix = *decoded;
  while (prefix.size() > 1 && prefix.back() == '/') {
    prefix.pop_back();
  }
  if (prefix.empty() || prefix == "/") {
    return std::string(k_default_prefix);
  }
  if (prefix.find("//") != std::string::npos) {
    return fail(ErrorCode::bad_request,
                "etcd URL '" + shown + "': the key prefix '" + prefix + "' has an empty segment");
  }
  if (std::any_of(prefix.begin(), prefix.end(), is_control)) {
    return fail(ErrorCode::bad_request,
                "etcd URL '" + shown + "': the key prefix holds a control character");
  }
  return prefix;
}

// Applies the query ("ca=…&cert=…&key=…") to url.
Status parse_query(std::string_view query, EtcdUrl& url, const std::string& shown) {
  const auto bad = [&](const std::string& why) {
    return fail(ErrorCode::bad_request, "etcd URL '" + shown + "': " + why);
  };
  if (!url.tls()) {
    return bad("ca, cert and key are for etcds:// (TLS); etcd:// takes no '?' parameters");
  }
  bool seen_ca = false;
  bool seen_cert = false;
  bool seen_key = false;
  std::size_t start = 0;
  while (start <= query.size()) {
    const auto amp = query.find('&', start);
    const std::string_view pair =
        query.substr(start, amp == std::string_view::npos ? query.npos : amp - start);
    start = amp == std::string_view::npos ? query.size() + 1 : amp + 1;
    if (pair.empty()) {
      continue;
    }
    const auto equals = pair.find('=');
    const std::string name(pair.substr(0, equals));
    const auto value = percent_decode(equals == std::string_view::npos ? std::string_view()
                                                                       : pair.substr(equals + 1));
    std::filesystem::path* target = nullptr;
    bool* seen = nullptr;
    if (name == "ca") {
      target = &url.ca_file;
      seen = &seen_ca;
    } else if (name == "cert") {
      target = &url.cert_file;
      seen = &seen_cert;
    } else if (name == "key") {
      target = &url.key_file;
      seen = &seen_key;
    } else {
      return bad("unknown parameter '" + name + "' (known: ca, cert, key)");
    }
    if (*seen) {
      return bad("parameter '" + name + "' given twice");
    }
    *seen = true;
    if (!value) {
      return bad("bad %-escape in parameter '" + name + "'");
    }
    if (value->empty() || value->front() != '/' ||
        std::any_of(value->begin(), value->end(), is_control)) {
      return bad("parameter '" + name + "' must be an absolute file path");
    }
    *target = *value;
  }
  if (seen_cert != seen_key) {
    return bad("a client certificate needs both cert= and key=");
  }
  return {};
}

} // namespace

std::string EtcdUrl::base_url(std::size_t i) const {
  return scheme + "://" + endpoints.at(i);
}

std::string EtcdUrl::redacted() const {
  std::string out = tls() ? "etcds://" : "etcd://";
  if (!user.empty() || !password.empty()) {
    out += user + ":***@";
  }
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    out += (i == 0 ? "" : ",") + endpoints[i];
  }
  out += prefix;
  std::string query;
  const auto add = [&](std::string_view name, const std::filesystem::path& path) {
    if (!path.empty()) {
      query += (query.empty() ? "?" : "&") + std::string(name) + "=" + path.string();
    }
  };
  add("ca", ca_file);
  add("cert", cert_file);
  add("key", key_file);
  return out + query;
}

std::string to_string(const EtcdUrl& url) {
  return url.redacted();
}

Result<EtcdUrl> parse_etcd_url(std::string_view text) {
  const std::string shown = redact_text(text);
  const auto bad = [&](const std::string& why) {
    return fail(ErrorCode::bad_request, "etcd URL '" + shown + "': " + why);
  };
  EtcdUrl url;
  std::string_view rest;
  if (text.starts_with("etcd://")) {
    rest = text.substr(7);
  } else if (text.starts_with("etcds://")) {
    rest = text.substr(8);
    url.scheme = "https";
  } else {
    return bad("the scheme must be etcd:// or etcds://");
  }
  if (rest.find('#') != std::string_view::npos) {
    return bad("a URL fragment ('#') is not allowed");
  }
  const auto authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  const std::string_view after =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  const std::string_view path = after.substr(0, after.find('?'));
  const auto question = after.find('?');
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : after.substr(question + 1);

  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      return bad("the user needs a password (etcd://user:password@host:2379)");
    }
    const auto user = percent_decode(userinfo.substr(0, colon));
    const auto password = percent_decode(userinfo.substr(colon + 1));
    if (!user || !password) {
      return bad("bad %-escape in the user or password");
    }
    if (user->empty()) {
      return bad("empty user name before ':' in the credentials");
    }
    if (password->empty()) {
      return bad("empty password for user '" + *user + "'");
    }
    if (std::any_of(user->begin(), user->end(), is_control)) {
      return bad("the user name holds a control character");
    }
    url.user = *user;
    url.password = *password;
  }
  if (authority.empty()) {
    return bad("no host (etcd://host1:2379,host2:2379)");
  }
  std::size_t start = 0;
  while (start <= authority.size()) {
    const auto comma = authority.find(',', start);
    const std::string_view item =
        authority.substr(start, comma == std::string_view::npos ? authority.npos : comma - start);
    start = comma == std::string_view::npos ? authority.size() + 1 : comma + 1;
    auto endpoint = parse_endpoint(item, shown);
    if (!endpoint) {
      return std::unexpected(endpoint.error());
    }
    if (std::find(url.endpoints.begin(), url.endpoints.end(), *endpoint) != url.endpoints.end()) {
      return bad("endpoint " + *endpoint + " is listed twice");
    }
    url.endpoints.push_back(std::move(*endpoint));
  }
  auto prefix = parse_prefix(path, shown);
  if (!prefix) {
    return std::unexpected(prefix.error());
  }
  url.prefix = std::move(*prefix);
  if (question != std::string_view::npos) {
    if (auto status = parse_query(query, url, shown); !status) {
      return std::unexpected(status.error());
    }
  }
  return url;
}

} // namespace sharectl::store::etcd
