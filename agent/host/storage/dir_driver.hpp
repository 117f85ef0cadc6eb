// The dir quota driver: each space is a plain directory; its size is only accounted (nothing
// enforces it). Usage is the apparent size of the files below it (hard links counted once,
// symlinks not followed, other filesystems not entered), from a walk bounded in entries and
// time (WalkLimits): cut short, it reports what it counted.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>

#include "agent/host/storage/quota_driver.hpp"

namespace sharectl::agent::host {

// How far one directory walk may go: a space with millions of files must not stall the
// heartbeat or a reconcile pass.
struct WalkLimits {
  std::uint64_t max_entries = 100000;     // directory entries looked at
  std::chrono::milliseconds budget{2000}; // wall time
};

// What a walk counted: bytes of regular files, entries looked at, and whether it saw them all.
struct DirectoryUsage {
  std::uint64_t bytes = 0;
  std::uint64_t entries = 0;
  bool complete = true; // false: stopped at a limit; bytes is a lower bound
};

// The apparent size of the regular files below path (lstat walk, no symlinks followed, one
// filesystem, hard links counted once), stopping at `limits`; not_found when path does not
// exist, internal on other errors.
Result<DirectoryUsage> measure_directory(const std::filesystem::path& path,
                                         const WalkLimits& limits = {});

// measure_directory(path).bytes (bounded by the default WalkLimits); fails as it does.
Result<std::uint64_t> directory_usage(const std::filesystem::path& path);

// Spaces as plain directories below root. Not thread-safe.
class DirDriver final : public QuotaDriver {
public:
  // Runs `rm` through runner (which must outlive the driver) to delete spaces; usage walks stop
  // at `limits`.
  DirDriver(ProcessRunner& runner, std::filesystem::path root, WalkLimits limits = {});

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
  // measure_directory(path, limits) for a space path checked inside the root.
  Result<UsageReading> measure(const std::filesystem::path& path) override;
  // `rm -r -f --one-file-system -- PATH` (GNU rm does not follow symlinks and is safe against
  // races below PATH); see QuotaDriver::remove.
  Status remove(const std::filesystem::path& path) override;

private:
  Result<std::filesystem::path> existing_space(const std::filesystem::path& path);

  ProcessRunner& m_runner;
  std::filesystem::path m_root;
  WalkLimits m_limits;
};

} // namespace sharectl::agent::host
