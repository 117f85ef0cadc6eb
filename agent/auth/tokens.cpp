// App tokens and credential headers; see tokens.hpp.
#include "agent/auth/tokens.hpp"

#include "common/util/ascii.hpp"
#include "common/util/base64.hpp"
#include "common/util/hash.hpp"
#include "common/util/random.hpp"

namespace sharectl::agent::auth {

namespace {

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// RFC 7235 token68: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
bool is_token68(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() &&
         (is_base64url_char(s[i]) || s[i] == '.' || s[i] == '~' || s[i] == '+' || s[i] == '/')) {
    ++i;
  }
  if (i == 0) {
    return false;
  }
  while (i < s.size() && s[i] == '=') {
    ++i;
  }
  return i == s.size();
}

bool has_control(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      return true;
    }
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

} // namespace

Result<NewToken> issue_token() {
  auto token = random_token(32);
  if (!token) {
    return std::unexpected(token.error());
  }
  NewToken out;
  out.sha256_hex = sha256_hex(*token);
  out.token = std::move(*token);
  return out;
}

std::string token_hash(std::string_view token) {
  return sha256_hex(token);
}

bool token_matches(std::string_view presented, std::string_view stored_sha256_hex) {
  return token_hash_matches(sha256_hex(presented), stored_sha256_hex);
}

bool token_hash_matches(std::string_view presented_sha256_hex, std::string_view stored_sha256_hex) {
  if (stored_sha256_hex.size() != 64 || presented_sha256_hex.size() != 64) {
    return false;
  }
  return constant_time_equal(ascii_lower(presented_sha256_hex), ascii_lower(stored_sha256_hex));
}

bool is_app_token_shape(std::string_view token) {
  if (token.size() != k_app_token_chars) {
    return false;
  }
  for (char c : token) {
    if (!is_base64url_char(c)) {
      return false;
    }
  }
  return true;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !is_hex_digit(text[i])) {
      return false;
    }
  }
  return true;
}

Result<Credentials> parse_credentials(std::optional<std::string_view> authorization,
                                      std::optional<std::string_view> x_user_id,
                                      const CredentialOptions& options) {
  Credentials out;
  if (x_user_id) {
    if (has_control(*x_user_id)) {
      return fail(ErrorCode::bad_request, "X-User-ID contains control characters");
    }
    const std::string_view id = trim(*x_user_id);
    if (!is_uuid(id)) {
      return fail(ErrorCode::bad_request, "X-User-ID must be a user id (a UUID)");
    }
    out.user_id = ascii_lower(id);
  }
  if (!authorization) {
    return out;
  }
  if (has_control(*authorization)) {
    return fail(ErrorCode::bad_request, "Authorization header contains control characters");
  }
  const std::string_view value = trim(*authorization);
  if (value.empty()) {
    return fail(ErrorCode::unauthenticated, "Authorization header is empty");
  }
  const std::size_t space = value.find_first_of(" \t");
  const std::string_view scheme = value.substr(0, space);
  const std::string_view rest =
      space == std::string_view::npos ? std::string_view{} : trim(value.substr(space));

  if (iequals(scheme, "Bearer")) {
    if (rest.empty()) {
      return fail(ErrorCode::unauthenticated, "Authorization: Bearer carries no token");
    }
    if (rest.size() > k_max_bearer_chars || !is_token68(rest)) {
      return fail(ErrorCode::unauthenticated, "invalid bearer token");
    }
    out.kind = CredentialKind::bearer;
    out.token = std::string(rest);
    return out;
  }
  if (iequals(scheme, "Basic")) {
    if (!options.allow_basic) {
      return fail(ErrorCode::unauthenticated,
                  "Basic authentication is disabled on this agent; log in for a token");
    }
    if (rest.empty() || rest.size() > k_max_bearer_chars) {
      return fail(ErrorCode::bad_request, "Authorization: Basic needs base64(user:password)");
    }
    auto decoded = base64_decode(rest);
    if (!decoded) {
      return fail(ErrorCode::bad_request, "Authorization: Basic credentials are not valid base64");
    }
    const std::size_t colon = decoded->find(':');
    if (colon == std::string::npos || colon == 0) {
      return fail(ErrorCode::bad_request,
                  "Authorization: Basic credentials must be base64 of user:password");
    }
    out.kind = CredentialKind::basic;
    out.username = decoded->substr(0, colon);
    out.password = decoded->substr(colon + 1);
    return out;
  }
  return fail(ErrorCode::unauthenticated,
              options.allow_basic ? "unsupported authorization scheme (use Bearer or Basic)"
                                  : "unsupported authorization scheme (use Bearer)");
}

Status require_app_credentials(const Credentials& credentials) {
  if (credentials.kind != CredentialKind::bearer) {
    return fail(ErrorCode::unauthenticated,
                "missing credentials: send X-User-ID and Authorization: Bearer <token>");
  }
  if (!credentials.user_id) {
    return fail(ErrorCode::unauthenticated, "missing X-User-ID header for the bearer token");
  }
  if (!is_app_token_shape(credentials.token)) {
    return fail(ErrorCode::unauthenticated, "invalid bearer token");
  }
  return {};
}

} // namespace sharectl::agent::auth
