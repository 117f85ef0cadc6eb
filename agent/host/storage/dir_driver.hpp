// The dir quota driver: each space is a plain directory; its size is only accounted (nothing
// enforces it). Usage is the apparent size of the files below it (hard links counted once,
// symlinks not followed, other filesystems not entered).
#pragma once

#include <filesystem>

#include "agent/host/storage/quota_driver.hpp"

namespace sharectl::agent::host {

// The apparent size of the regular files below path (lstat walk, no symlinks followed, one
// filesystem); not_found when path does not exist, internal on other errors.
Result<std::uint64_t> directory_usage(const std::filesystem::path& path);

// Spaces as plain directories below root. Not thread-safe.
class DirDriver final : public QuotaDriver {
public:
  // Runs `rm` through runner (which must outlive the driver) to delete spaces.
  DirDriver(ProcessRunner& runner, std::filesystem::path root);

  // model::FsDriver::dir.
  model::FsDriver kind() const override { return model::FsDriver::dir; }
  // The filesystem root.
  const std::filesystem::path& root() const override { return m_root; }
  // mkdir (0700), fchown, fchmod 0750; see QuotaDriver::create.
  Status create(const SpaceSpec& spec) override;
  // Refuses a size below the current usage; otherwise nothing to do on the host.
  Status resize(const std::filesystem::path& path, std::uint64_t size_bytes) override;
  // directory_usage(path) for a space path checked inside the root.
  Result<std::uint64_t> usage(const std::filesystem::path& path) override;
  // `rm -r -f --one-file-system -- PATH` (GNU rm does not follow symlinks and is safe against
  // races below PATH); see QuotaDriver::remove.
  Status remove(const std::filesystem::path& path) override;

private:
  Result<std::filesystem::path> existing_space(const std::filesystem::path& path);

  ProcessRunner& m_runner;
  std::filesystem::path m_root;
};

} // namespace sharectl::agent::host
