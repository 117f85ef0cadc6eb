#include "agent/reconcile/register.hpp"

#include <filesystem>
#include <system_error>

#include <fmt/core.h>
#include <sys/statvfs.h>

namespace sharectl::agent::reconcile {

namespace {

// Total bytes of the filesystem holding path; nullopt when it cannot be measured.
std::optional<std::uint64_t> capacity_of(const std::filesystem::path& path) {
  struct statvfs info {};
  if (::statvfs(path.c_str(), &info) != 0) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(info.f_blocks) * info.f_frsize;
}

} // namespace

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
  std::vector<std::pair<config::FilesystemConfig, std::uint64_t>> measured;
  for (const auto& fs : config.filesystems) {
    if (fs.driver == config::FilesystemDriver::dir) {
      std::error_code ec;
      std::filesystem::create_directories(fs.path, ec);
    }
    const auto capacity = capacity_of(fs.path);
    if (!capacity) {
      warnings.push_back(fmt::format("cannot measure filesystem {}", fs.path.string()));
      continue;
    }
    measured.emplace_back(fs, *capacity);
  }
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
    for (const auto& [fs, capacity] : measured) {
      auto existing = tx.find_filesystem(stored->id, fs.path.string());
      if (!existing && existing.error().code != ErrorCode::not_found) {
        return std::unexpected(existing.error());
      }
      model::FileSystem fs_row = existing ? *existing : model::FileSystem{};
      fs_row.server_id = stored->id;
      fs_row.path = fs.path.string();
      fs_row.driver = to_model_driver(fs.driver);
      fs_row.capacity_bytes = capacity;
      if (existing && existing->capacity_bytes == capacity && existing->driver == fs_row.driver) {
        out.filesystems.push_back(*existing);
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
