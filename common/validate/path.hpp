// Filesystem paths from users and configuration, checked lexically only: nothing here touches
// the filesystem. Symlinks are the business of the code that opens the path (openat with
// O_NOFOLLOW, component by component, below a trusted directory descriptor), not of these
// checks. Paths may hold only ASCII letters, digits, '.', '_', '-', '+', '@' and '/', so that
// they are safe in smb.conf (no '%', '\', ';', quotes or whitespace) and on any command line.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::validate {

// The most bytes a path may have (PATH_MAX).
inline constexpr std::size_t k_max_path_bytes = 4096;
// The most bytes one path component may have (NAME_MAX).
inline constexpr std::size_t k_max_component_bytes = 255;

// Checks an absolute path: starts with '/', allowed characters only, no empty ("//"), "." or
// ".." components, no component starting with '-', no trailing '/' (except "/" itself), at most
// 4096 bytes and 255 per component. Fails with bad_request naming the rule.
Result<std::filesystem::path> validate_path(std::string_view text);

// Checks `text` as validate_path does and that it is `root` itself or strictly below it, by
// comparing components (so "/srv/ab" is not inside "/srv/a"). Fails with bad_request, or with
// internal if `root` is not itself a valid absolute path (a trailing '/' on root is tolerated).
Result<std::filesystem::path> validate_path_inside(std::string_view text,
                                                   const std::filesystem::path& root);

// Checks a relative subdirectory (share create --path SUBDIR): not starting with '/', the
// component rules of validate_path (so no "..", ':' or '\'), no trailing '/'. Fails with
// bad_request naming the rule.
Result<std::filesystem::path> validate_relative_subdir(std::string_view text);

} // namespace sharectl::validate
