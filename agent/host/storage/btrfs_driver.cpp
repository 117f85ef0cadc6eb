// Spaces as btrfs subvolumes with qgroup limits; see btrfs_driver.hpp.
#include "agent/host/storage/btrfs_driver.hpp"

#include <charconv>
#include <sstream>
#include <vector>

#include "agent/host/command.hpp"
#include "agent/host/storage/safe_path.hpp"

namespace sharectl::agent::host {
namespace {

namespace fs = std::filesystem;

// Deleting a big subvolume makes the cleaner work a while; we wait this long for it.
constexpr auto k_sync_timeout = std::chrono::seconds(60);

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  std::string word;
  while (in >> word) {
    out.push_back(word);
  }
  return out;
}

std::optional<std::uint64_t> to_u64(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::string human(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return buffer;
}

} // namespace

Result<std::uint64_t> parse_qgroup_referenced(std::string_view output) {
  std::istringstream in{std::string(output)};
  std::string line;
  // Column positions from the header line; k_none until the header has been seen. (Plain
  // indices rather than std::optional: GCC 12 warns falsely about optionals here at -O2.)
  constexpr std::size_t k_none = static_cast<std::size_t>(-1);
  std::size_t id_column = k_none;
  std::size_t rfer_column = k_none;
  while (std::getline(in, line)) {
    const auto fields = words(line);
    if (fields.empty()) {
      continue;
    }
    if (id_column == k_none) {
      // Header: "Qgroupid Referenced Exclusive Max referenced …" (6.x) or "qgroupid rfer …".
      // Multi-word names ("Max referenced") come after the ones we need.
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == "Qgroupid" || fields[i] == "qgroupid") {
          id_column = i;
        } else if ((fields[i] == "Referenced" || fields[i] == "rfer") && rfer_column == k_none) {
          rfer_column = i;
        }
      }
      if (id_column != k_none && rfer_column == k_none) {
        id_column = k_none;
      }
      continue;
    }
    if (fields.size() <= std::max(id_column, rfer_column) || !fields[id_column].starts_with("0/")) {
      continue;
    }
    if (const auto value = to_u64(fields[rfer_column])) {
      return *value;
    }
  }
  return fail(ErrorCode::internal, "no level-0 qgroup in `btrfs qgroup show` output");
}

Result<std::uint64_t> parse_subvolume_id(std::string_view output) {
  std::istringstream in{std::string(output)};
  std::string line;
  while (std::getline(in, line)) {
    const auto at = line.find("Subvolume ID:");
    if (at == std::string::npos) {
      continue;
    }
    const auto fields = words(std::string_view(line).substr(at + 13));
    if (!fields.empty()) {
      if (const auto id = to_u64(fields.front())) {
        return *id;
      }
    }
  }
  return fail(ErrorCode::internal, "no \"Subvolume ID:\" in `btrfs subvolume show` output");
}

BtrfsDriver::BtrfsDriver(ProcessRunner& runner, fs::path root)
    : m_runner(runner), m_root(std::move(root)) {}

Result<ProcessResult> BtrfsDriver::btrfs(std::vector<std::string> args) {
  return m_runner.run(host_command("btrfs", std::move(args)));
}

Status BtrfsDriver::btrfs_checked(std::vector<std::string> args) {
  Command command = host_command("btrfs", std::move(args));
  auto result = m_runner.run(command);
  if (!result) {
    return std::unexpected(result.error());
  }
  return check_exit(command, *result);
}

Status BtrfsDriver::ensure_quota() {
  if (m_quota_enabled) {
    return {};
  }
  if (auto status = btrfs_checked({"quota", "enable", m_root.string()}); !status) {
    return status;
  }
  m_quota_enabled = true;
  return {};
}

Result<std::uint64_t> BtrfsDriver::subvolume_id(const fs::path& path) {
  auto result = btrfs({"subvolume", "show", path.string()});
  if (!result) {
    return std::unexpected(result.error());
  }
  if (!result->ok()) {
    return fail(ErrorCode::conflict,
                "SPACE-NOT-SUBVOLUME: " + path.string() + " exists and is not a btrfs subvolume");
  }
  return parse_subvolume_id(result->out);
}

Result<fs::path> BtrfsDriver::existing_space(const fs::path& path) {
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
  return checked;
}

Status BtrfsDriver::create(const SpaceSpec& spec) {
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
  if (auto status = ensure_quota(); !status) {
    return status;
  }
  bool created = false;
  if (st->has_value()) {
    if (auto id = subvolume_id(*path); !id) {
      return std::unexpected(id.error());
    }
  } else {
    if (auto status = make_parents(m_root, *path); !status) {
      return status;
    }
    if (auto status = btrfs_checked({"subvolume", "create", path->string()}); !status) {
      return status;
    }
    created = true;
  }
  Status status = set_owner_and_mode(*path, spec.owner_uid, spec.owner_gid, k_space_mode);
  if (status) {
    status = btrfs_checked({"qgroup", "limit", std::to_string(spec.size_bytes), path->string()});
  }
  if (!status && created) {
    (void)btrfs({"subvolume", "delete", path->string()}); // no half-made space stays
  }
  return status;
}

Result<std::uint64_t> BtrfsDriver::usage(const fs::path& path) {
  auto checked = existing_space(path);
  if (!checked) {
    return std::unexpected(checked.error());
  }
  Command command = host_command("btrfs", {"qgroup", "show", "-reF", "--raw", checked->string()});
  auto result = m_runner.run(command);
  if (!result) {
    return std::unexpected(result.error());
  }
  if (auto status = check_exit(command, *result); !status) {
    return std::unexpected(status.error());
  }
  return parse_qgroup_referenced(result->out);
}

Status BtrfsDriver::resize(const fs::path& path, std::uint64_t size_bytes) {
  auto checked = existing_space(path);
  if (!checked) {
    return std::unexpected(checked.error());
  }
  if (size_bytes == 0) {
    return fail(ErrorCode::bad_request, "a space needs a size above 0");
  }
  // qgroup numbers change at transaction commit: commit first so the usage is current.
  if (auto status = btrfs_checked({"filesystem", "sync", m_root.string()}); !status) {
    return status;
  }
  auto used = usage(*checked);
  if (!used) {
    return std::unexpected(used.error());
  }
  if (*used > size_bytes) {
    return fail(ErrorCode::conflict, "SPACE-SHRINK-BELOW-USAGE: the space uses " +
                                         std::to_string(*used) + " bytes (" + human(*used) +
                                         "); it cannot shrink to " + std::to_string(size_bytes) +
                                         " bytes (" + human(size_bytes) + ")");
  }
  if (auto status = ensure_quota(); !status) {
    return status;
  }
  return btrfs_checked({"qgroup", "limit", std::to_string(size_bytes), checked->string()});
}

Status BtrfsDriver::remove(const fs::path& path) {
  auto checked = existing_space(path);
  if (!checked) {
    return checked.error().code == ErrorCode::not_found ? Status{}
                                                        : std::unexpected(checked.error());
  }
  auto id = subvolume_id(*checked);
  if (!id) {
    return std::unexpected(id.error());
  }
  if (auto status = btrfs_checked({"subvolume", "delete", checked->string()}); !status) {
    return status;
  }
  const std::string id_text = std::to_string(*id);
  // The qgroup can only go once the cleaner has dropped the subvolume; recent kernels then
  // remove it themselves ("No such file or directory" below is success).
  (void)m_runner.run(
      host_command("btrfs", {"subvolume", "sync", m_root.string(), id_text}, k_sync_timeout));
  auto destroyed = btrfs({"qgroup", "destroy", "0/" + id_text, m_root.string()});
  if (!destroyed) {
    return std::unexpected(destroyed.error());
  }
  if (!destroyed->ok() && destroyed->err.find("No such file or directory") == std::string::npos) {
    // A stale qgroup limits nothing; report it so reconcile can retry, the space is gone.
    return fail(ErrorCode::internal, "SPACE-QGROUP-STALE: subvolume deleted, qgroup 0/" + id_text +
                                         " left: " + destroyed->err);
  }
  return {};
}

} // namespace sharectl::agent::host
