// TLS material for `init`: an EC P-256 key (0600) and a self-signed certificate, through the
// shared helper in common/http/tls_files.hpp.
#include <algorithm>
#include <system_error>

#include <fmt/core.h>

#include "agent/commands/commands.hpp"
#include "common/http/client.hpp"
#include "common/http/tls_files.hpp"

namespace sharectl::agent::commands {

namespace {

Status ensure_dir(const std::filesystem::path& dir, std::filesystem::perms perms) {
  std::error_code ec;
  if (dir.empty() || std::filesystem::exists(dir, ec)) {
    return {};
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return fail(ErrorCode::internal,
                fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  }
  std::filesystem::permissions(dir, perms, ec);
  return {};
}

} // namespace

Status create_tls_material(const config::AgentConfig& config) {
  using std::filesystem::perms;
  if (auto ok = ensure_dir(config.tls.key.parent_path(), perms::owner_all); !ok) {
    return ok;
  }
  if (auto ok = ensure_dir(config.tls.cert.parent_path(),
                           perms::owner_all | perms::group_read | perms::group_exec |
                               perms::others_read | perms::others_exec);
      !ok) {
    return ok;
  }
  const std::string cn = config.server.name.empty() ? "sharectl-agent" : config.server.name;
  std::vector<std::string> sans;
  for (const std::string& host :
       {cn, config.server.address, config.listen.host, std::string("localhost"),
        std::string("127.0.0.1"), std::string("::1")}) {
    if (!host.empty() && host != "0.0.0.0" && host != "::" &&
        std::find(sans.begin(), sans.end(), host) == sans.end()) {
      sans.push_back(host);
    }
  }
  return http::write_self_signed_certificate(config.tls.cert, config.tls.key, cn, sans);
}

Result<std::string> certificate_fingerprint(const std::filesystem::path& cert) {
  auto canonical = http::certificate_fingerprint_file(cert);
  if (!canonical) {
    return std::unexpected(canonical.error());
  }
  return http::display_fingerprint(*canonical);
}

} // namespace sharectl::agent::commands
