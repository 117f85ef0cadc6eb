#include "common/util/atomic_file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/hash.hpp"
#include "common/util/random.hpp"

namespace sharectl {
namespace {

// How many random temporary names are tried before giving up on EEXIST.
constexpr int k_temp_attempts = 8;

// A file descriptor closed on destruction (errors of that close are not interesting).
class Fd {
public:
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return m_fd; }
  // Closes now and reports close()'s own errno (0 on success).
  int close_now() {
    int result = 0;
    if (m_fd >= 0 && ::close(m_fd) != 0) {
      result = errno;
    }
    m_fd = -1;
    return result;
  }
  void reset() {
    if (m_fd >= 0) {
      ::close(m_fd);
      m_fd = -1;
    }
  }

private:
  int m_fd;
};

ErrorCode code_for_errno(int err) {
  return (err == ENOENT || err == ENOTDIR) ? ErrorCode::not_found : ErrorCode::internal;
}

std::unexpected<Error> fail_errno(int err, const std::string& what,
                                  const std::filesystem::path& path) {
  return fail(code_for_errno(err), what + " " + path.string() + ": " + std::strerror(err));
}

// Removes the temporary file unless released (after a successful rename).
class TempGuard {
public:
  explicit TempGuard(std::filesystem::path path) : m_path(std::move(path)) {}
  ~TempGuard() {
    if (m_armed) {
      ::unlink(m_path.c_str());
    }
  }
  TempGuard(const TempGuard&) = delete;
  TempGuard& operator=(const TempGuard&) = delete;
  void release() { m_armed = false; }

private:
  std::filesystem::path m_path;
  bool m_armed = true;
};

Status write_all(int fd, std::string_view content, const std::filesystem::path& path) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail_errno(errno, "cannot write", path);
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

int fsync_retrying(int fd) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) {
      return errno;
    }
  }
  return 0;
}

} // namespace

Status write_file_atomic(const std::filesystem::path& target, std::string_view content,
                         const AtomicWriteOptions& options) {
  if (target.filename().empty()) {
    return fail(ErrorCode::internal, "cannot write " + target.string() + ": not a file name");
  }
  const std::filesystem::path dir =
      target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();

  std::filesystem::path temp;
  int raw_fd = -1;
  for (int attempt = 0; attempt < k_temp_attempts && raw_fd < 0; ++attempt) {
    auto suffix = random_bytes(8);
    if (!suffix) {
      return std::unexpected(suffix.error());
    }
    temp = dir / ("." + target.filename().string() + ".tmp-" + to_hex(*suffix));
    raw_fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (raw_fd < 0 && errno != EEXIST && errno != EINTR) {
      return fail_errno(errno, "cannot create a temporary file in", dir);
    }
  }
  if (raw_fd < 0) {
    return fail_errno(EEXIST, "cannot create a temporary file in", dir);
  }
  Fd fd(raw_fd);
  TempGuard guard(temp);

  if (options.owner_uid || options.owner_gid) {
    const auto uid = options.owner_uid ? *options.owner_uid : static_cast<::uid_t>(-1);
    const auto gid = options.owner_gid ? *options.owner_gid : static_cast<::gid_t>(-1);
    if (::fchown(fd.get(), uid, gid) != 0) {
      return fail_errno(errno, "cannot change the owner of", temp);
    }
  }
  if (::fchmod(fd.get(), options.mode) != 0) {
    return fail_errno(errno, "cannot change the mode of", temp);
  }
  if (auto written = write_all(fd.get(), content, temp); !written) {
    return written;
  }
  if (const int err = fsync_retrying(fd.get()); err != 0) {
    return fail_errno(err, "cannot fsync", temp);
  }
  if (const int err = fd.close_now(); err != 0) {
    return fail_errno(err, "cannot close", temp);
  }
  if (options.validate) {
    if (auto valid = options.validate(temp); !valid) {
      return valid;
    }
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    return fail_errno(errno, "cannot rename " + temp.string() + " to", target);
  }
  guard.release();

  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) {
    return fail_errno(errno, "cannot open directory", dir);
  }
  // EINVAL: the filesystem does not support syncing directories; nothing more can be done.
  if (const int err = fsync_retrying(dir_fd.get()); err != 0 && err != EINVAL) {
    return fail_errno(err, "cannot fsync directory", dir);
  }
  return {};
}

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return fail_errno(errno, "cannot open", path);
  }
  std::string out;
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    if (static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
      return fail(ErrorCode::payload_too_large,
                  path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.reserve(static_cast<std::size_t>(st.st_size));
  }
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail_errno(errno, "cannot read", path);
    }
    if (n == 0) {
      break;
    }
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      return fail(ErrorCode::payload_too_large,
                  path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

} // namespace sharectl
