// Path checks shared by the quota drivers: a space path must be strictly inside the driver's
// root, and no component below the root may be a symlink. The checks use lstat and open with
// O_NOFOLLOW, so a symlink planted below the root is refused, never followed.
#pragma once

#include <filesystem>

#include <sys/stat.h>
#include <sys/types.h>

#include "common/util/error.hpp"

namespace sharectl::agent::host {

// path validated (common/validate/path) to be strictly below root. bad_request otherwise.
Result<std::filesystem::path> space_path_inside(const std::filesystem::path& path,
                                                const std::filesystem::path& root);

// lstat of every component of path below root: conflict when one is a symlink or a non-final
// component is not a directory. Components that do not exist end the walk (fine). Returns the
// lstat of path itself when it exists, nullopt when it does not; internal on other errors.
Result<std::optional<struct stat>> lstat_below(const std::filesystem::path& root,
                                               const std::filesystem::path& path);

// Creates the missing directories between root and path's parent (root-owned, mode 0711:
// traversable by the SMB users' accounts, not listable). Fails as lstat_below, internal on I/O.
Status make_parents(const std::filesystem::path& root, const std::filesystem::path& path);

// Opens the directory at path without following a symlink, then fchown and fchmod it.
// conflict when it is a symlink or not a directory, internal otherwise.
Status set_owner_and_mode(const std::filesystem::path& path, ::uid_t uid, ::gid_t gid,
                          ::mode_t mode);

} // namespace sharectl::agent::host
