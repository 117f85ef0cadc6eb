#include "agent/reconcile/register.hpp"

#include <filesystem>
#include <system_error>

#include <fmt/core.h>

#include "agent/host/samba/smb_ports.hpp"
#include "agent/reconcile/heartbeat.hpp"

namespace sharectl::agent::reconcile {

model::FsDriver to_model_driver(config::FilesystemDriver driver) {
  switch (driver) {
  case config::FilesystemDriver::btrfs:
    return model::FsDriver::btrfs;
  case config::FilesystemDriver::xfs:
    return model::FsDriver::xfs;
  case config::FilesystemDriver::dir:
    break;
  }
  return model::FsDriver::dir;
}

Result<Registration> register_host(store::Store& store, const config::AgentConfig& config) {
  std::vector<std::string> warnings;
  std::vector<std::pair<config::FilesystemConfig, FsFigures>> measured;
  for (const auto& fs : config.filesystems) {
    if (fs.driver == config::FilesystemDriver::dir) {
      std::error_code ec;
      std::filesystem::create_directories(fs.path, ec);
    }
    const auto figures = measure_filesystem(fs.path);
    if (!figures) {
      warnings.push_back(fmt::format("cannot measure filesystem {}", fs.path.string()));
      continue;
    }
    measured.emplace_back(fs, *figures);
  }
  const int smb_port = host::smb_port_of(config.samba.config);
  auto done = store.transact_result([&](store::Tx& tx) -> Result<Registration> {
    Registration out;
    out.warnings = warnings;
    auto server = tx.find_server(config.server.name);
    model::Server row = server ? *server : model::Server{};
    if (!server && server.error().code != ErrorCode::not_found) {
      return std::unexpected(server.error());
    }
    row.name = config.server.name;
    row.address = config.server.address.empty() ? std::string("127.0.0.1") : config.server.address;
    row.smb_port = smb_port;
    row.role_samba = false;
    row.role_iscsi = false;
    for (const auto role : config.server.roles) {
      (role == config::ServerRole::samba ? row.role_samba : row.role_iscsi) = true;
    }
    row.status = model::ServerStatus::up;
    row.last_heartbeat = model::now_utc();
    auto stored = server ? tx.update(row) : tx.create(row);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    out.server = *stored;
    for (const auto& [fs, figures] : measured) {
      auto existing = tx.find_filesystem(stored->id, fs.path.string());
      if (!existing && existing.error().code != ErrorCode::not_found) {
        return std::unexpected(existing.error());
      }
      model::FileSystem fs_row = existing ? *existing : model::FileSystem{};
      fs_row.server_id = stored->id;
      fs_row.path = fs.path.string();
      fs_row.driver = to_model_driver(fs.driver);
      fs_row.capacity_bytes = figures.capacity_bytes;
      fs_row.free_bytes = figures.free_bytes;
      if (existing && existing->capacity_bytes == figures.capacity_bytes &&
          existing->driver == fs_row.driver) {
        if (auto touched = tx.touch_filesystem(fs_row); !touched) { // bookkeeping only
          return std::unexpected(touched.error());
        }
        out.filesystems.push_back(fs_row);
        continue;
      }
      auto saved = existing ? tx.update(fs_row) : tx.create(fs_row);
      if (!saved) {
        return std::unexpected(saved.error());
      }
      out.filesystems.push_back(*saved);
    }
    return out;
  });
  return done;
}

} // namespace sharectl::agent::reconcile
