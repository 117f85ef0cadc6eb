#include "common/http/tls_files.hpp"

#include <ctime>
#include <memory>

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/util/atomic_file.hpp"
#include "common/util/hash.hpp"

namespace sharectl::http {

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PKeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

std::unexpected<Error> openssl_failure(std::string_view what) {
  std::string message = "OpenSSL failed to " + std::string(what);
  if (const auto code = ERR_get_error(); code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    message += std::string(": ") + text;
  }
  ERR_clear_error();
  return fail(ErrorCode::internal, std::move(message));
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

bool is_ip_address(const std::string& name) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, name.c_str(), buffer) == 1;
}

bool add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  const ExtPtr extension(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return extension && X509_add_ext(cert, extension.get(), -1) == 1;
}

} // namespace

Status write_self_signed_certificate(const std::filesystem::path& cert_file,
                                     const std::filesystem::path& key_file,
                                     std::string_view common_name,
                                     const std::vector<std::string>& alt_names, int days) {
  const PKeyPtr key(EVP_EC_gen("P-256"));
  if (!key) {
    return openssl_failure("generate an EC P-256 key");
  }
  const X509Ptr cert(X509_new());
  if (!cert) {
    return openssl_failure("allocate a certificate");
  }
  X509_set_version(cert.get(), 2);
  BIGNUM* serial = BN_new();
  if (serial == nullptr || BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get())) == nullptr) {
    BN_free(serial);
    return openssl_failure("make a serial number");
  }
  BN_free(serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  std::string san;
  for (const auto& alt : alt_names) {
    san += (san.empty() ? "" : ",") + std::string(is_ip_address(alt) ? "IP:" : "DNS:") + alt;
  }
  if ((!san.empty() && !add_extension(cert.get(), NID_subject_alt_name, san)) ||
      !add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
      !add_extension(cert.get(), NID_ext_key_usage, "serverAuth")) {
    return openssl_failure("add certificate extensions");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return openssl_failure("sign the certificate");
  }
  const BioPtr key_bio(BIO_new(BIO_s_mem()));
  const BioPtr cert_bio(BIO_new(BIO_s_mem()));
  if (!key_bio || !cert_bio ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1) {
    return openssl_failure("encode the key and certificate as PEM");
  }
  AtomicWriteOptions secret;
  secret.mode = 0600;
  if (auto written = write_file_atomic(key_file, bio_text(key_bio.get()), secret); !written) {
    return written;
  }
  return write_file_atomic(cert_file, bio_text(cert_bio.get()));
}

Result<std::string> certificate_fingerprint_pem(std::string_view pem) {
  const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  const X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  if (!cert) {
    return fail(ErrorCode::bad_request, "no PEM certificate found");
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert.get(), EVP_sha256(), digest, &length) != 1) {
    return openssl_failure("hash the certificate");
  }
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

Result<std::string> certificate_fingerprint_file(const std::filesystem::path& cert_file) {
  auto text = read_file(cert_file, 1024 * 1024);
  if (!text) {
    return fail(text.error().code == ErrorCode::not_found ? ErrorCode::not_found
                                                          : text.error().code,
                text.error().message);
  }
  auto fingerprint = certificate_fingerprint_pem(*text);
  if (!fingerprint) {
    return fail(fingerprint.error().code, cert_file.string() + ": " + fingerprint.error().message);
  }
  return fingerprint;
}

} // namespace sharectl::http
