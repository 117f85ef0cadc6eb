// TLS material on disk: a self-signed certificate and key for the agent (written by
// `sharectl-agent init` and by tests) and the SHA-256 fingerprint of a certificate file, which
// the agent prints and the CLI pins. Over OpenSSL; failures are values, never exceptions.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/util/error.hpp"

namespace sharectl::http {

// Writes an ECDSA P-256 key (mode 0600) and a self-signed X.509 certificate for common_name,
// with subject alternative names for each entry of alt_names (IP addresses as IP entries, the
// rest as DNS names), valid for `days`. Both files are replaced atomically. Fails with internal
// when OpenSSL fails and with the file error's code when a file cannot be written.
Status write_self_signed_certificate(const std::filesystem::path& cert_file,
                                     const std::filesystem::path& key_file,
                                     std::string_view common_name,
                                     const std::vector<std::string>& alt_names, int days = 3650);

// The SHA-256 fingerprint (64 lowercase hex digits) of the first certificate in a PEM text.
// Fails with bad_request when the text holds no certificate.
Result<std::string> certificate_fingerprint_pem(std::string_view pem);

// The SHA-256 fingerprint of the first certificate in a PEM file. Fails with not_found when the
// file cannot be read and bad_request when it holds no certificate.
Result<std::string> certificate_fingerprint_file(const std::filesystem::path& cert_file);

} // namespace sharectl::http
