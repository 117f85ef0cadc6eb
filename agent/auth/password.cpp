// Password policy, argon2id hashing and legacy verification; see password.hpp.
#include "agent/auth/password.hpp"

#include <cerrno>
#include <memory>
#include <mutex>
#include <stdexcept>

#include <crypt.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "common/util/ascii.hpp"
#include "common/util/hash.hpp"
#include "common/validate/text.hpp"

namespace sharectl::agent::auth {

namespace {

// The most bytes a password can have (1024 code points of at most 4 bytes).
constexpr std::size_t k_password_max_bytes = k_password_max_chars * 4;

// A current-parameter argon2id hash of a random password nobody knows, verified by
// burn_equal_time(). A unit test checks it still has today's parameters.
constexpr const char* k_dummy_hash = "$argon2id$v=19$m=19456,t=2,p=1$m+tgAKdJWWIv35gg7RMjSg$"
                                     "DXmiSzuZYl7oLsOD+p55Nllxyjko8bsxn8mr8pdccnI";

void ensure_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      throw std::runtime_error("libsodium could not be initialized");
    }
  });
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool is_hex32(std::string_view s) {
  if (s.size() != 32) {
    return false;
  }
  for (char c : s) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) {
      return false;
    }
  }
  return true;
}

std::size_t count_code_points(std::string_view utf8) {
  std::size_t n = 0;
  for (char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) {
      ++n;
    }
  }
  return n;
}

// MD5 of the password as lowercase hex (legacy imports only).
Result<std::string> md5_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr) != 1) {
    return fail(ErrorCode::internal, "MD5 is not available to verify a legacy password hash");
  }
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), len));
}

// Verifies through libxcrypt's crypt_r (bcrypt, md5-crypt).
Result<bool> verify_crypt(std::string_view password, std::string_view stored,
                          std::string_view family) {
  if (password.find('\0') != std::string_view::npos) {
    return false; // crypt() would stop at the NUL; such a password never matches
  }
  auto data = std::make_unique<crypt_data>(); // ~32 KiB: never on the stack
  const std::string pw(password);
  const std::string setting(stored);
  const char* out = crypt_r(pw.c_str(), setting.c_str(), data.get());
  if (out == nullptr || out[0] == '*') {
    return fail(ErrorCode::internal,
                "stored password hash is a malformed " + std::string(family) + " hash");
  }
  return constant_time_equal(out, stored);
}

Result<VerifyOutcome> verify_argon2(std::string_view password, std::string_view stored,
                                    bool is_argon2id) {
  ensure_sodium();
  const std::string setting(stored);
  const int needs =
      crypto_pwhash_str_needs_rehash(setting.c_str(), k_argon2_opslimit, k_argon2_memlimit);
  if (is_argon2id && needs < 0) {
    return fail(ErrorCode::internal, "stored password hash is a malformed argon2id hash");
  }
  errno = 0;
  const int rc = crypto_pwhash_str_verify(setting.c_str(), password.data(), password.size());
  if (rc != 0) {
    if (errno == ENOMEM) {
      return fail(ErrorCode::internal, "out of memory while verifying a password");
    }
    return VerifyOutcome{false, false};
  }
  return VerifyOutcome{true, !is_argon2id || needs != 0};
}

} // namespace

Status check_password_policy(std::string_view password) {
  if (password.find('\0') != std::string_view::npos) {
    return fail(ErrorCode::bad_request, "password must not contain a NUL character");
  }
  if (!validate::is_valid_utf8(password)) {
    return fail(ErrorCode::bad_request, "password must be valid UTF-8");
  }
  const std::size_t chars = count_code_points(password);
  if (chars < k_password_min_chars) {
    return fail(ErrorCode::bad_request, "password must have at least 8 characters");
  }
  if (chars > k_password_max_chars) {
    return fail(ErrorCode::bad_request, "password must have at most 1024 characters");
  }
  return {};
}

Result<std::string> hash_password(std::string_view password) {
  if (password.find('\0') != std::string_view::npos) {
    return fail(ErrorCode::bad_request, "password must not contain a NUL character");
  }
  if (password.size() > k_password_max_bytes) {
    return fail(ErrorCode::bad_request, "password must have at most 1024 characters");
  }
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), k_argon2_opslimit,
                            k_argon2_memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(ErrorCode::internal, "out of memory while hashing a password");
  }
  return std::string(out);
}

std::string_view hash_scheme(std::string_view stored) {
  if (starts_with(stored, "$argon2id$")) {
    return "argon2id";
  }
  if (starts_with(stored, "$argon2i$")) {
    return "argon2i";
  }
  if (starts_with(stored, "$2b$") || starts_with(stored, "$2a$") || starts_with(stored, "$2y$")) {
    return "bcrypt";
  }
  if (starts_with(stored, "$1$")) {
    return "md5-crypt";
  }
  if (is_hex32(stored)) {
    return "md5";
  }
  return "unknown";
}

Result<VerifyOutcome> verify_password(std::string_view password, std::string_view stored) {
  const std::string_view scheme = hash_scheme(stored);
  if (scheme == "argon2id" || scheme == "argon2i") {
    return verify_argon2(password, stored, scheme == "argon2id");
  }
  if (scheme == "bcrypt" || scheme == "md5-crypt") {
    auto ok = verify_crypt(password, stored, scheme);
    if (!ok) {
      return std::unexpected(ok.error());
    }
    return VerifyOutcome{*ok, *ok};
  }
  if (scheme == "md5") {
    auto digest = md5_hex(password);
    if (!digest) {
      return std::unexpected(digest.error());
    }
    const bool ok = constant_time_equal(*digest, ascii_lower(stored));
    return VerifyOutcome{ok, ok};
  }
  return fail(ErrorCode::internal, "stored password hash has an unsupported format");
}

void burn_equal_time(std::string_view password) {
  auto ignored = verify_password(password, k_dummy_hash);
  (void)ignored;
}

std::string_view dummy_hash() {
  return k_dummy_hash;
}

} // namespace sharectl::agent::auth
