// Spaces as plain directories; see dir_driver.hpp. Also the QuotaDriver factory.
#include "agent/host/storage/dir_driver.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <utility>

#include <sys/stat.h>

#include "agent/host/command.hpp"
#include "agent/host/storage/btrfs_driver.hpp"
#include "agent/host/storage/safe_path.hpp"
#include "common/validate/path.hpp"

namespace sharectl::agent::host {
namespace {

namespace fs = std::filesystem;

} // namespace

Result<DirectoryUsage> measure_directory(const fs::path& path, const WalkLimits& limits) {
  struct stat top {};
  if (::lstat(path.c_str(), &top) != 0) {
    return fail(errno == ENOENT ? ErrorCode::not_found : ErrorCode::internal,
                "lstat " + path.string() + ": " + std::strerror(errno));
  }
  const auto deadline = std::chrono::steady_clock::now() + limits.budget;
  DirectoryUsage out;
  std::set<std::pair<::dev_t, ::ino_t>> linked;
  std::error_code ec;
  // directory_options::none: directory symlinks are listed, never entered.
  fs::recursive_directory_iterator it(path, fs::directory_options::none, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    // The clock is read every 256 entries: cheap, and the budget is seconds.
    if (out.entries >= limits.max_entries ||
        (out.entries % 256 == 0 && std::chrono::steady_clock::now() >= deadline)) {
      out.complete = false;
      break;
    }
    ++out.entries;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) {
      continue; // removed while we walk
    }
    if (S_ISDIR(st.st_mode) && st.st_dev != top.st_dev) {
      it.disable_recursion_pending(); // a mount point: another filesystem
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      continue;
    }
    if (st.st_nlink > 1 && !linked.emplace(st.st_dev, st.st_ino).second) {
      continue;
    }
    out.bytes += static_cast<std::uint64_t>(st.st_size);
  }
  if (ec) {
    return fail(ErrorCode::internal, "walking " + path.string() + ": " + ec.message());
  }
  return out;
}

Result<std::uint64_t> directory_usage(const fs::path& path) {
  auto measured = measure_directory(path);
  if (!measured) {
    return std::unexpected(measured.error());
  }
  return measured->bytes;
}

DirDriver::DirDriver(ProcessRunner& runner, fs::path root, WalkLimits limits)
    : m_runner(runner), m_root(std::move(root)), m_limits(limits) {}

Result<fs::path> DirDriver::existing_space(const fs::path& path) {
  auto checked = space_path_inside(path, m_root);
  if (!checked) {
    return std::unexpected(checked.error());
  }
  auto st = lstat_below(m_root, *checked);
  if (!st) {
    return std::unexpected(st.error());
  }
  if (!st->has_value()) {
    return fail(ErrorCode::not_found, "SPACE-NOT-FOUND: " + checked->string() + " does not exist");
  }
  if (!S_ISDIR((*st)->st_mode)) {
    return fail(ErrorCode::conflict,
                "SPACE-PATH-NOT-DIR: " + checked->string() + " exists and is not a directory");
  }
  return checked;
}

Status DirDriver::create(const SpaceSpec& spec) {
  auto path = space_path_inside(spec.path, m_root);
  if (!path) {
    return std::unexpected(path.error());
  }
  if (spec.size_bytes == 0 || spec.owner_uid == 0) {
    return fail(ErrorCode::bad_request,
                "a space needs a size above 0 and an owner other than root");
  }
  auto st = lstat_below(m_root, *path);
  if (!st) {
    return std::unexpected(st.error());
  }
  if (st->has_value()) {
    if (!S_ISDIR((*st)->st_mode)) {
      return fail(ErrorCode::conflict,
                  "SPACE-PATH-NOT-DIR: " + path->string() + " exists and is not a directory");
    }
  } else {
    if (auto status = make_parents(m_root, *path); !status) {
      return status;
    }
    if (::mkdir(path->c_str(), 0700) != 0 && errno != EEXIST) {
      return fail(ErrorCode::internal, "mkdir " + path->string() + ": " + std::strerror(errno));
    }
  }
  return set_owner_and_mode(*path, spec.owner_uid, spec.owner_gid, k_space_mode);
}

Status DirDriver::resize(const fs::path& path, std::uint64_t size_bytes) {
  if (size_bytes == 0) {
    return fail(ErrorCode::bad_request, "a space needs a size above 0");
  }
  auto used = usage(path);
  if (!used) {
    return std::unexpected(used.error());
  }
  if (*used > size_bytes) {
    return fail(ErrorCode::conflict, "SPACE-SHRINK-BELOW-USAGE: the space uses " +
                                         std::to_string(*used) + " bytes; it cannot shrink to " +
                                         std::to_string(size_bytes) + " bytes");
  }
  return {};
}

Result<std::uint64_t> DirDriver::usage(const fs::path& path) {
  auto measured = measure(path);
  if (!measured) {
    return std::unexpected(measured.error());
  }
  return measured->bytes;
}

Result<UsageReading> DirDriver::measure(const fs::path& path) {
  auto checked = existing_space(path);
  if (!checked) {
    return std::unexpected(checked.error());
  }
  auto measured = measure_directory(*checked, m_limits);
  if (!measured) {
    return std::unexpected(measured.error());
  }
  return UsageReading{measured->bytes, measured->complete};
}

Status DirDriver::remove(const fs::path& path) {
  auto checked = existing_space(path);
  if (!checked) {
    return checked.error().code == ErrorCode::not_found ? Status{}
                                                        : std::unexpected(checked.error());
  }
  Command command = host_command("rm", {"-r", "-f", "--one-file-system", "--", checked->string()},
                                 std::chrono::minutes(30));
  auto result = m_runner.run(command);
  if (!result) {
    return std::unexpected(result.error());
  }
  return check_exit(command, *result);
}

Result<std::unique_ptr<QuotaDriver>>
make_quota_driver(model::FsDriver driver, ProcessRunner& runner, const fs::path& root) {
  auto checked = validate::validate_path(root.string());
  if (!checked) {
    return std::unexpected(checked.error());
  }
  switch (driver) {
  case model::FsDriver::btrfs:
    return std::make_unique<BtrfsDriver>(runner, *checked);
  case model::FsDriver::dir:
    return std::make_unique<DirDriver>(runner, *checked);
  case model::FsDriver::xfs:
    break;
  }
  return fail(ErrorCode::bad_request, "the xfs quota driver is not available yet");
}

} // namespace sharectl::agent::host
