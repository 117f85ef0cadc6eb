// Whole-file writes that are never seen half done (smb.conf includes, token caches, state
// files): write a temporary file beside the target, fsync it, optionally validate it, rename it
// over the target and fsync the directory. Also bounded whole-file reads.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "common/util/error.hpp"

namespace sharectl {

// How write_file_atomic() creates the file.
struct AtomicWriteOptions {
  // Permission bits of the new file, applied with fchmod (the umask does not narrow them).
  ::mode_t mode = 0644;
  // Owner and group of the new file (fchown before fchmod); unchanged (ours) when unset.
  std::optional<::uid_t> owner_uid;
  std::optional<::gid_t> owner_gid;
  // Called with the complete, fsynced temporary file before it replaces the target (e.g. runs
  // `testparm -s TEMP`); an Error it returns aborts the write and is returned unchanged.
  std::function<Status(const std::filesystem::path& temp_path)> validate;
};

// Replaces target with content atomically: readers see the old file or the new one, never a
// mix. The temporary file is ".NAME.tmp-RANDOM" in the target's directory (O_EXCL, O_CLOEXEC).
// On any failure before the rename the temporary file is removed and the target is untouched;
// errors name the path and the system's reason (not_found when the directory does not exist,
// internal otherwise). A symlink at target is replaced, not followed. A failing fsync of the
// directory after the rename is still reported, though the new content is then in place.
Status write_file_atomic(const std::filesystem::path& target, std::string_view content,
                         const AtomicWriteOptions& options = {});

// The whole content of a file of at most max_bytes bytes; not_found when it does not exist,
// payload_too_large when it is longer than max_bytes, internal on other errors (named path and
// reason).
Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes);

} // namespace sharectl
