// Where spaces live on a host: the QuotaDriver interface (create a space directory with its
// owner and mode, set its size limit, read its usage, delete it) and the factory for the
// drivers of the agent config's `filesystems:` (btrfs: subvolume + qgroup limit; dir: a plain
// directory, the size only accounted; later xfs). Every path must be strictly inside the
// driver's root, and no component below the root may be a symlink (checked with lstat before
// anything is created or deleted).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include <sys/types.h>

#include "common/model/entities.hpp"
#include "common/util/error.hpp"
#include "common/util/process.hpp"

namespace sharectl::agent::host {

// The mode of every space directory: the owner reads and writes, its group reads.
inline constexpr ::mode_t k_space_mode = 0750;

// A space as the host sees it.
struct SpaceSpec {
  std::filesystem::path path; // strictly inside the driver's root
  ::uid_t owner_uid = 0;      // the owner's Unix account (never 0: refused)
  ::gid_t owner_gid = 0;
  std::uint64_t size_bytes = 0; // the limit (btrfs) or the accounted size (dir); > 0
};

// What a space uses, and whether the figure is complete.
struct UsageReading {
  std::uint64_t bytes = 0;
  bool complete = true; // false: a bounded walk stopped early; bytes is what it counted
};

// Creates, sizes, measures and deletes space directories below one filesystem root.
class QuotaDriver {
public:
  virtual ~QuotaDriver() = default;

  // Which driver this is.
  virtual model::FsDriver kind() const = 0;

  // The filesystem root spaces are created below.
  virtual const std::filesystem::path& root() const = 0;

  // Creates the space (missing parent directories root-owned 0711), owned by the owner with
  // k_space_mode, and applies its size. Idempotent: an existing space of the right kind is
  // adjusted (owner, mode, limit). Fails with bad_request for a path outside the root, a zero
  // size or uid 0; conflict when the path or a component is a symlink or an existing entry of
  // the wrong kind; internal with the tool's message otherwise (a half-made space is removed).
  virtual Status create(const SpaceSpec& spec) = 0;

  // Sets a new size. Fails with conflict ("SPACE-SHRINK-BELOW-USAGE", stating the usage) when
  // the space already uses more than size_bytes, not_found when the space does not exist, and
  // as create() otherwise.
  virtual Status resize(const std::filesystem::path& path, std::uint64_t size_bytes) = 0;

  // Bytes the space uses now (btrfs: the qgroup's referenced bytes as of the last commit; dir:
  // apparent size of its files). not_found when the space does not exist.
  virtual Result<std::uint64_t> usage(const std::filesystem::path& path) = 0;

  // usage() saying whether the figure is complete: the dir driver's walk is bounded (entries and
  // time, dir_driver.hpp) and reports what it counted when cut short; the others are complete.
  // Fails as usage().
  virtual Result<UsageReading> measure(const std::filesystem::path& path) {
    auto bytes = usage(path);
    if (!bytes) {
      return std::unexpected(bytes.error());
    }
    return UsageReading{*bytes, true};
  }

  // Deletes the space and everything in it. Idempotent (a missing space is fine). Fails with
  // conflict when the path is a symlink or the wrong kind of entry, internal otherwise.
  virtual Status remove(const std::filesystem::path& path) = 0;
};

// The driver for a `filesystems:` entry: btrfs or dir (bad_request for xfs, not yet built).
// root must be a valid absolute path (bad_request otherwise); runner must outlive the driver.
Result<std::unique_ptr<QuotaDriver>>
make_quota_driver(model::FsDriver driver, ProcessRunner& runner, const std::filesystem::path& root);

} // namespace sharectl::agent::host
