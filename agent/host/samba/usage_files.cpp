// The figures files and links of sharectl-dfree; see usage_files.hpp.
#include "agent/host/samba/usage_files.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

#include "agent/dfree/dfree.hpp"
#include "agent/host/samba/render.hpp"
#include "common/util/atomic_file.hpp"

namespace sharectl::agent::host {
namespace {

namespace fs = std::filesystem;

// Longest path accepted in smb.conf.
constexpr std::size_t k_max_command_path = 1024;
// A temporary file of write_file_atomic this much older than the caller's snapshot is stray.
constexpr auto k_stray_temp_age = std::chrono::minutes(1);

bool command_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '+' || c == '-' || c == '/';
}

std::string errno_text(const std::string& what, const fs::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

// The space id a directory entry belongs to ("<id>", "<id>.dfree" or ".<id>….tmp-…"), with
// whether it is a temporary file; nullopt for names of no space.
std::optional<std::pair<std::string, bool>> owner_of_entry(std::string_view name) {
  constexpr std::size_t k_id_size = 36;
  bool temp = false;
  if (!name.empty() && name.front() == '.') {
    if (name.find(".tmp-") == std::string_view::npos) {
      return std::nullopt;
    }
    temp = true;
    name.remove_prefix(1);
  }
  if (name.size() < k_id_size) {
    return std::nullopt;
  }
  const std::string_view id = name.substr(0, k_id_size);
  const std::string_view rest = name.substr(k_id_size);
  if (!check_space_id(id)) {
    return std::nullopt;
  }
  if (!temp && !rest.empty() && rest != dfree::k_link_suffix) {
    return std::nullopt;
  }
  return std::pair{std::string(id), temp};
}

// Points `link` at `target`, replacing a wrong or dangling link; conflict when something other
// than a symlink is there.
Status ensure_link(const fs::path& link, const fs::path& target) {
  struct stat st {};
  if (::lstat(link.c_str(), &st) == 0) {
    if (!S_ISLNK(st.st_mode)) {
      return fail(ErrorCode::conflict,
                  "DFREE-LINK-NOT-SYMLINK: " + link.string() + " exists and is not a symlink");
    }
    std::error_code ec;
    const fs::path now = fs::read_symlink(link, ec);
    if (!ec && now == target) {
      return {};
    }
    // Replace atomically: a new link beside it, renamed over it.
    const fs::path temp = link.parent_path() / ("." + link.filename().string() + ".tmp-link");
    (void)::unlink(temp.c_str());
    if (::symlink(target.c_str(), temp.c_str()) != 0) {
      return fail(ErrorCode::internal, errno_text("symlink", temp));
    }
    if (::rename(temp.c_str(), link.c_str()) != 0) {
      const auto message = errno_text("rename", temp);
      (void)::unlink(temp.c_str());
      return fail(ErrorCode::internal, message);
    }
    return {};
  }
  if (errno != ENOENT) {
    return fail(ErrorCode::internal, errno_text("lstat", link));
  }
  if (::symlink(target.c_str(), link.c_str()) != 0 && errno != EEXIST) {
    return fail(ErrorCode::internal, errno_text("symlink", link));
  }
  return {};
}

} // namespace

fs::path usage_dir_for(const fs::path& samba_include) {
  return samba_include.parent_path() / std::string(k_usage_dir_name);
}

fs::path find_dfree_program() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec || self.empty()) {
    return {};
  }
  const fs::path program = self.parent_path() / std::string(k_dfree_program_name);
  struct stat st {};
  if (::stat(program.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & S_IXOTH) == 0) {
    return {};
  }
  return program;
}

DfreeSetup dfree_setup_for(const fs::path& samba_include) {
  DfreeSetup setup{find_dfree_program(), usage_dir_for(samba_include)};
  if (setup.program.empty() || !check_dfree_path(setup.program.string()) ||
      !check_dfree_path(setup.usage_dir.string())) {
    setup.program.clear();
  }
  return setup;
}

Status check_dfree_path(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return fail(ErrorCode::bad_request, "a dfree command path must be absolute");
  }
  if (path.size() > k_max_command_path) {
    return fail(ErrorCode::bad_request, "a dfree command path is longer than 1024 bytes");
  }
  for (const char c : path) {
    if (!command_char(c)) {
      return fail(ErrorCode::bad_request,
                  "a dfree command path may hold only letters, digits, '.', '_', '+', '-', '/'");
    }
  }
  std::string_view rest = path.substr(1);
  while (true) {
    const auto slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (part.empty() || part == "." || part == "..") {
      return fail(ErrorCode::bad_request,
                  "a dfree command path has an empty, '.' or '..' component");
    }
    if (slash == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(slash + 1);
  }
  return {};
}

Status check_space_id(std::string_view id) {
  bool ok = id.size() == 36;
  for (std::size_t i = 0; ok && i < id.size(); ++i) {
    const char c = id[i];
    ok = (i == 8 || i == 13 || i == 18 || i == 23)
             ? c == '-'
             : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  if (!ok) {
    return fail(ErrorCode::bad_request, "not a space id (a lower-case UUID)");
  }
  return {};
}

Result<fs::path> figures_file(const fs::path& usage_dir, std::string_view space_id) {
  if (auto ok = check_space_id(space_id); !ok) {
    return std::unexpected(ok.error());
  }
  return usage_dir / std::string(space_id);
}

Result<fs::path> dfree_link(const fs::path& usage_dir, std::string_view space_id) {
  if (auto ok = check_space_id(space_id); !ok) {
    return std::unexpected(ok.error());
  }
  return usage_dir / (std::string(space_id) + std::string(dfree::k_link_suffix));
}

std::string figures_text(std::uint64_t size_bytes, std::uint64_t used_bytes) {
  return std::to_string(size_bytes) + " " + std::to_string(used_bytes) + "\n";
}

Status ensure_usage_dir(const fs::path& usage_dir) {
  struct stat st {};
  if (::lstat(usage_dir.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return fail(ErrorCode::internal, errno_text("lstat", usage_dir));
    }
    if (::mkdir(usage_dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return fail(errno == ENOENT ? ErrorCode::not_found : ErrorCode::internal,
                  errno_text("mkdir", usage_dir));
    }
    if (::lstat(usage_dir.c_str(), &st) != 0) {
      return fail(ErrorCode::internal, errno_text("lstat", usage_dir));
    }
  }
  if (!S_ISDIR(st.st_mode)) {
    return fail(ErrorCode::conflict, "DFREE-DIR-NOT-DIR: " + usage_dir.string() +
                                         " exists and is not a directory (or is a symlink)");
  }
  if (st.st_uid != ::geteuid()) {
    return fail(ErrorCode::conflict,
                "DFREE-DIR-FOREIGN: " + usage_dir.string() + " belongs to another user");
  }
  if ((st.st_mode & 07777) != 0755 && ::chmod(usage_dir.c_str(), 0755) != 0) {
    return fail(ErrorCode::internal, errno_text("chmod", usage_dir));
  }
  return {};
}

Status write_space_figures(const DfreeSetup& setup, std::string_view space_id,
                           std::uint64_t size_bytes, std::uint64_t used_bytes, FiguresWrite how) {
  if (!setup.enabled()) {
    return fail(ErrorCode::bad_request, "the dfree helper is not set up");
  }
  auto file = figures_file(setup.usage_dir, space_id);
  auto link = dfree_link(setup.usage_dir, space_id);
  if (!file || !link) {
    return std::unexpected(!file ? file.error() : link.error());
  }
  const auto old = read_file(*file, dfree::k_max_figures_bytes);
  const auto parsed = old ? dfree::parse_figures(*old) : std::nullopt;
  if (how == FiguresWrite::keep_used && parsed) {
    used_bytes = parsed->used_bytes;
  }
  const std::string text = figures_text(size_bytes, used_bytes);
  if (!old || *old != text) {
    AtomicWriteOptions options;
    options.mode = 0644;
    if (auto written = write_file_atomic(*file, text, options); !written) {
      return written;
    }
  }
  return ensure_link(*link, setup.program);
}

Result<std::size_t> remove_stale_figures(const fs::path& usage_dir,
                                         const std::set<std::string>& keep,
                                         std::chrono::system_clock::time_point older_than) {
  std::error_code ec;
  fs::directory_iterator it(usage_dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return std::size_t{0};
    }
    return fail(ErrorCode::internal, "reading " + usage_dir.string() + ": " + ec.message());
  }
  std::size_t removed = 0;
  std::optional<Error> first_error;
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const auto owner = owner_of_entry(it->path().filename().string());
    if (!owner || (!owner->second && keep.contains(owner->first))) {
      continue;
    }
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || S_ISDIR(st.st_mode)) {
      continue;
    }
    const std::chrono::system_clock::time_point changed(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(st.st_mtim.tv_sec) +
            std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    const auto limit = owner->second ? older_than - k_stray_temp_age : older_than;
    if (changed >= limit) {
      continue;
    }
    if (::unlink(it->path().c_str()) == 0) {
      ++removed;
    } else if (errno != ENOENT && !first_error) {
      first_error = Error{ErrorCode::internal, errno_text("unlink", it->path())};
    }
  }
  if (ec) {
    return fail(ErrorCode::internal, "reading " + usage_dir.string() + ": " + ec.message());
  }
  if (first_error) {
    return std::unexpected(*first_error);
  }
  return removed;
}

DfreeSetup prepare_dfree(const fs::path& samba_include, const std::vector<ShareView>& views) {
  DfreeSetup setup = dfree_setup_for(samba_include);
  if (!setup.enabled() || views.empty() || !ensure_usage_dir(setup.usage_dir)) {
    return setup; // a missing link only makes Samba fall back to the disk's own figures
  }
  std::set<std::string> done;
  for (const ShareView& view : views) {
    if (done.insert(view.space.id).second) {
      (void)write_space_figures(setup, view.space.id, view.space.size_bytes, view.space.used_bytes,
                                FiguresWrite::keep_used);
    }
  }
  return setup;
}

} // namespace sharectl::agent::host
