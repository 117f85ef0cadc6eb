// The private-file rule of the agent (file_modes.hpp): which paths, how they are checked, and how
// `init` tightens them.
#include "agent/commands/file_modes.hpp"

#include <cerrno>
#include <cstring>
#include <string_view>
#include <system_error>

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sharectl::agent::commands {

namespace {

constexpr std::string_view k_sqlite_prefix = "sqlite://";

// The SQLite database file of a sqlite:///PATH store URL; empty for any other URL (postgres://,
// sqlite::memory:) or a relative path, which the store factory refuses anyway.
std::filesystem::path sqlite_file(std::string_view store_url) {
  if (!store_url.starts_with(k_sqlite_prefix)) {
    return {};
  }
  const std::filesystem::path file(store_url.substr(k_sqlite_prefix.size()));
  return file.is_absolute() ? file : std::filesystem::path();
}

// "root:root" for uid 0, else "UID:GID", as chown takes it.
std::string owner_text(::uid_t uid, ::gid_t gid) {
  return uid == 0 && gid == 0 ? std::string("root:root") : fmt::format("{}:{}", uid, gid);
}

// True when dir holds nothing but entries named after the database file (state.db, state.db-wal,
// state.db-shm, state.db-journal, a state.db.bak …): a directory of the store's own.
bool holds_only_the_store(const std::filesystem::path& dir, const std::filesystem::path& db) {
  std::error_code ec;
  const std::string stem = db.filename().string();
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->path().filename().string().starts_with(stem)) {
      return false;
    }
  }
  return !ec;
}

} // namespace

std::vector<PrivatePath> private_paths(const config::AgentConfig& config) {
  std::vector<PrivatePath> out;
  if (const auto db = sqlite_file(config.store); !db.empty()) {
    out.push_back({db.parent_path(), "the SQLite store's directory", true});
    out.push_back({db, "the SQLite store", false});
    // SQLite's companions hold the same rows (a WAL holds recent writes in full).
    for (const char* suffix : {"-wal", "-shm", "-journal"}) {
      out.push_back(
          {db.string() + suffix, "the SQLite store's " + std::string(suffix + 1) + " file", false});
    }
  }
  if (config.tls.enabled) {
    out.push_back({config.tls.key, "the TLS key", false});
  }
  return out;
}

Status check_private_path(const PrivatePath& path, ::uid_t owner, ::gid_t owner_group) {
  struct stat st {};
  if (::stat(path.path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return {};
    }
    return fail(ErrorCode::internal, fmt::format("cannot examine {} {}: {}", path.what,
                                                 path.path.string(), std::strerror(errno)));
  }
  const ::mode_t mode = st.st_mode & 07777;
  if (st.st_uid != owner) {
    return fail(ErrorCode::bad_request,
                fmt::format("PRIVATE-FILE-FOREIGN: {} {} belongs to uid {}, not to the agent's "
                            "user (uid {}): fix it with `chown {} {}`",
                            path.what, path.path.string(), st.st_uid, owner,
                            owner_text(owner, owner_group), path.path.string()));
  }
  if (path.directory) {
    if ((mode & S_IRWXO) != 0) {
      return fail(ErrorCode::bad_request,
                  fmt::format("PRIVATE-FILE-OPEN: {} {} is accessible by others (mode {:04o}): "
                              "fix it with `chmod 700 {}` (or `sharectl-agent init`) if it holds "
                              "only the store, else move the store into a directory of its own",
                              path.what, path.path.string(), mode, path.path.string()));
    }
    if ((mode & S_IRWXG) != 0 && st.st_gid != owner_group) {
      return fail(ErrorCode::bad_request,
                  fmt::format("PRIVATE-FILE-OPEN: {} {} is accessible by group {}, not the "
                              "agent's own group (mode {:04o}): fix it with `chmod 700 {}`",
                              path.what, path.path.string(), st.st_gid, mode, path.path.string()));
    }
    return {};
  }
  if ((mode & (S_IRWXG | S_IRWXO)) != 0) {
    return fail(ErrorCode::bad_request,
                fmt::format("PRIVATE-FILE-OPEN: {} {} is readable or writable by group or others "
                            "(mode {:04o}): fix it with `chmod 600 {}` (or `sharectl-agent init`, "
                            "which tightens it)",
                            path.what, path.path.string(), mode, path.path.string()));
  }
  return {};
}

std::vector<Error> check_private_files(const config::AgentConfig& config) {
  std::vector<Error> problems;
  for (const auto& path : private_paths(config)) {
    if (auto ok = check_private_path(path, ::geteuid(), ::getegid()); !ok) {
      problems.push_back(ok.error());
    }
  }
  return problems;
}

Result<std::vector<std::string>> tighten_private_files(const config::AgentConfig& config) {
  std::vector<std::string> changed;
  const auto db = sqlite_file(config.store);
  for (const auto& path : private_paths(config)) {
    struct stat st {};
    if (::stat(path.path.c_str(), &st) != 0) {
      continue; // missing (it is created private) or unreadable (check_private_files says so)
    }
    const ::mode_t mode = st.st_mode & 07777;
    const ::mode_t tight = mode & ~static_cast<::mode_t>(S_IRWXG | S_IRWXO);
    if (mode == tight || (path.directory && !holds_only_the_store(path.path, db))) {
      continue;
    }
    if (::chmod(path.path.c_str(), tight) != 0) {
      return fail(ErrorCode::internal,
                  fmt::format("cannot tighten the mode of {} {}: {}", path.what, path.path.string(),
                              std::strerror(errno)));
    }
    changed.push_back(fmt::format("{} ({:04o} -> {:04o})", path.path.string(), mode, tight));
  }
  return changed;
}

} // namespace sharectl::agent::commands
