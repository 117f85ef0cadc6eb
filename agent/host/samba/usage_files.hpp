// The host side of Samba's `dfree command` for sharectl spaces (agent/dfree/README.md): where the
// sharectl-dfree program is, the root-owned directory of per-space figures files
// (`<dirname(samba.include)>/sharectl-usage/<space id>`, "SIZE_BYTES USED_BYTES\n", 0644) and of
// the links `<space id>.dfree` → sharectl-dfree that smb.conf names (Samba runs `dfree command`
// as a single argv element, so the space travels in the program's name). The heartbeat writes
// the figures at every beat; the reconciler makes sure a rendered share's link and file exist.
// Paths that reach smb.conf are checked against a strict character set first.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::agent::host {

// Where the dfree helper and its files are; a default one (empty program) is disabled.
struct DfreeSetup {
  std::filesystem::path program;   // sharectl-dfree, absolute; empty: no dfree command at all
  std::filesystem::path usage_dir; // figures files and links (root-owned, 0755)

  // True when shares get a dfree command and the agent writes figures files.
  bool enabled() const { return !program.empty() && !usage_dir.empty(); }
};

// The name of the helper program, looked for beside the agent's executable.
inline constexpr std::string_view k_dfree_program_name = "sharectl-dfree";
// The name of the usage directory beside the samba include file.
inline constexpr std::string_view k_usage_dir_name = "sharectl-usage";
// How long smbd keeps a dfree answer (`dfree cache time`, seconds).
inline constexpr int k_dfree_cache_seconds = 10;

// `<dirname(samba_include)>/sharectl-usage`. Never fails.
std::filesystem::path usage_dir_for(const std::filesystem::path& samba_include);

// sharectl-dfree in the directory of the running executable (/proc/self/exe) when it is a
// regular executable file there; empty otherwise (in-process tests, a partial install).
std::filesystem::path find_dfree_program();

// The agent's setup: find_dfree_program() and usage_dir_for(samba_include); disabled (empty
// program) when there is no program or either path fails check_dfree_path. Never fails.
DfreeSetup dfree_setup_for(const std::filesystem::path& samba_include);

// Whether `path` may stand in smb.conf as a command: absolute, at most 1024 bytes, only
// [A-Za-z0-9._+-] and '/', no empty, "." or ".." component, no trailing '/'. bad_request naming
// the rule otherwise.
Status check_dfree_path(std::string_view path);

// Whether `id` is a space id that may name a file: a UUID in lower-case hex. bad_request else.
Status check_space_id(std::string_view id);

// `<usage_dir>/<space_id>`: the space's figures file. bad_request for a bad id.
Result<std::filesystem::path> figures_file(const std::filesystem::path& usage_dir,
                                           std::string_view space_id);

// `<usage_dir>/<space_id>.dfree`: the link smb.conf names. bad_request for a bad id.
Result<std::filesystem::path> dfree_link(const std::filesystem::path& usage_dir,
                                         std::string_view space_id);

// The text of a figures file: "SIZE USED\n" (what sharectl-dfree parses). Never fails.
std::string figures_text(std::uint64_t size_bytes, std::uint64_t used_bytes);

// Creates usage_dir when missing (parents must exist) and makes it 0755; conflict when it is a
// symlink, not a directory or not owned by us; internal with the system's reason otherwise.
Status ensure_usage_dir(const std::filesystem::path& usage_dir);

// How write_space_figures treats an existing figures file.
enum class FiguresWrite {
  replace,   // write size and used whenever the file differs (the heartbeat's measure)
  keep_used, // create the file, or change only its size, keeping the used figure it holds
};

// Writes one space's figures file atomically (0644, and only when its content changes) and
// points its link at setup.program (a wrong link or a stale file there is replaced). Needs
// ensure_usage_dir first; bad_request for a bad id or a disabled setup, conflict when the link
// path holds something other than a symlink, internal with the system's reason otherwise.
Status write_space_figures(const DfreeSetup& setup, std::string_view space_id,
                           std::uint64_t size_bytes, std::uint64_t used_bytes,
                           FiguresWrite how = FiguresWrite::replace);

// Removes the figures files and links of space ids not in `keep` whose last change is older than
// `older_than` (so files written after the caller read the store stay), and stray temporary
// files. Names that are not of this scheme are left alone. Returns how many entries went; fails
// (internal) when the directory cannot be read or an entry cannot be removed.
Result<std::size_t> remove_stale_figures(const std::filesystem::path& usage_dir,
                                         const std::set<std::string>& keep,
                                         std::chrono::system_clock::time_point older_than);

} // namespace sharectl::agent::host
