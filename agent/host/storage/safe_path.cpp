// Symlink-safe path checks for the quota drivers; see safe_path.hpp.
#include "agent/host/storage/safe_path.hpp"

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "common/validate/path.hpp"

namespace sharectl::agent::host {
namespace {

namespace fs = std::filesystem;

std::string reason(int error) {
  return std::strerror(error);
}

} // namespace

Result<fs::path> space_path_inside(const fs::path& path, const fs::path& root) {
  auto checked = validate::validate_path_inside(path.string(), root);
  if (!checked) {
    return std::unexpected(checked.error());
  }
  if (checked->lexically_relative(root.lexically_normal()).empty() ||
      checked->lexically_relative(root.lexically_normal()) == ".") {
    return fail(ErrorCode::bad_request,
                "a space must be strictly below its filesystem root " + root.string());
  }
  return checked;
}

Result<std::optional<struct stat>> lstat_below(const fs::path& root, const fs::path& path) {
  const fs::path relative = path.lexically_relative(root.lexically_normal());
  fs::path current = root;
  std::optional<struct stat> last;
  auto it = relative.begin();
  for (; it != relative.end(); ++it) {
    current /= *it;
    struct stat st {};
    if (::lstat(current.c_str(), &st) != 0) {
      if (errno == ENOENT) {
        return std::optional<struct stat>();
      }
      return fail(ErrorCode::internal, "lstat " + current.string() + ": " + reason(errno));
    }
    if (S_ISLNK(st.st_mode)) {
      return fail(ErrorCode::conflict,
                  "SPACE-PATH-SYMLINK: " + current.string() + " is a symlink; refusing to use it");
    }
    if (std::next(it) != relative.end() && !S_ISDIR(st.st_mode)) {
      return fail(ErrorCode::conflict,
                  "SPACE-PATH-NOT-DIR: " + current.string() + " exists and is not a directory");
    }
    last = st;
  }
  return last;
}

Status make_parents(const fs::path& root, const fs::path& path) {
  const fs::path relative = path.parent_path().lexically_relative(root.lexically_normal());
  fs::path current = root;
  for (const fs::path& part : relative) {
    if (part == ".") {
      continue;
    }
    current /= part;
    if (::mkdir(current.c_str(), 0711) == 0) {
      continue; // created by us: a real directory
    }
    if (errno != EEXIST) {
      return fail(ErrorCode::internal, "mkdir " + current.string() + ": " + reason(errno));
    }
    struct stat st {};
    if (::lstat(current.c_str(), &st) != 0) {
      return fail(ErrorCode::internal, "lstat " + current.string() + ": " + reason(errno));
    }
    if (S_ISLNK(st.st_mode)) {
      return fail(ErrorCode::conflict,
                  "SPACE-PATH-SYMLINK: " + current.string() + " is a symlink; refusing to use it");
    }
    if (!S_ISDIR(st.st_mode)) {
      return fail(ErrorCode::conflict,
                  "SPACE-PATH-NOT-DIR: " + current.string() + " exists and is not a directory");
    }
  }
  return {};
}

Status set_owner_and_mode(const fs::path& path, ::uid_t uid, ::gid_t gid, ::mode_t mode) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR) {
      return fail(ErrorCode::conflict,
                  "SPACE-PATH-SYMLINK: " + path.string() + " is a symlink or not a directory");
    }
    return fail(ErrorCode::internal, "open " + path.string() + ": " + reason(errno));
  }
  Status status;
  if (::fchown(fd, uid, gid) != 0) {
    status = fail(ErrorCode::internal, "chown " + path.string() + ": " + reason(errno));
  } else if (::fchmod(fd, mode) != 0) {
    status = fail(ErrorCode::internal, "chmod " + path.string() + ": " + reason(errno));
  }
  ::close(fd);
  return status;
}

} // namespace sharectl::agent::host
