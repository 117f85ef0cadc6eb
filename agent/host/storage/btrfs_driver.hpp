// The btrfs quota driver: each space is a subvolume with a qgroup limit on its referenced
// bytes (verified here: a 10 MiB limit stops writes at 10 MiB, over SMB NT_STATUS_DISK_FULL).
// Quotas are enabled on the filesystem once per driver. Deleting a space deletes its subvolume,
// waits for the cleaner and destroys its qgroup (newer kernels drop it themselves).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "agent/host/storage/quota_driver.hpp"

namespace sharectl::agent::host {

// The referenced bytes of the level-0 qgroup in `btrfs qgroup show -reF --raw` output (columns
// found by header name: "Qgroupid"/"qgroupid", "Referenced"/"rfer"). internal when absent.
Result<std::uint64_t> parse_qgroup_referenced(std::string_view output);

// The "Subvolume ID:" of `btrfs subvolume show` output; internal when absent.
Result<std::uint64_t> parse_subvolume_id(std::string_view output);

// Spaces as btrfs subvolumes below root (which must be on btrfs). Not thread-safe.
class BtrfsDriver final : public QuotaDriver {
public:
  // Runs `btrfs` (looked up on PATH) through runner, which must outlive the driver.
  BtrfsDriver(ProcessRunner& runner, std::filesystem::path root);

  // model::FsDriver::btrfs.
  model::FsDriver kind() const override { return model::FsDriver::btrfs; }
  // The filesystem root.
  const std::filesystem::path& root() const override { return m_root; }
  // `btrfs quota enable ROOT` (once), `btrfs subvolume create PATH`, fchown/fchmod,
  // `btrfs qgroup limit SIZE PATH`; see QuotaDriver::create.
  Status create(const SpaceSpec& spec) override;
  // `btrfs filesystem sync ROOT`, usage, then `btrfs qgroup limit SIZE PATH`; see
  // QuotaDriver::resize.
  Status resize(const std::filesystem::path& path, std::uint64_t size_bytes) override;
  // `btrfs qgroup show -reF --raw PATH`: referenced bytes; see QuotaDriver::usage.
  Result<std::uint64_t> usage(const std::filesystem::path& path) override;
  // `btrfs subvolume show PATH` (its id), `btrfs subvolume delete PATH`, `btrfs subvolume sync
  // ROOT ID`, `btrfs qgroup destroy 0/ID ROOT` (a qgroup already gone is fine); see
  // QuotaDriver::remove.
  Status remove(const std::filesystem::path& path) override;

private:
  Result<ProcessResult> btrfs(std::vector<std::string> args);
  Status btrfs_checked(std::vector<std::string> args);
  Status ensure_quota();
  // The subvolume id of an existing path; conflict when it is not a subvolume.
  Result<std::uint64_t> subvolume_id(const std::filesystem::path& path);
  Result<std::filesystem::path> existing_space(const std::filesystem::path& path);

  ProcessRunner& m_runner;
  std::filesystem::path m_root;
  bool m_quota_enabled = false;
};

} // namespace sharectl::agent::host
