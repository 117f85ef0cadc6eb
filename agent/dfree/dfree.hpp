// sharectl-dfree, Samba's `dfree command` for sharectl spaces (README.md beside this file): it
// makes an SMB client see a space's size as the disk size and the room left in it as free
// space. The agent writes one tiny figures file per space, "SIZE_BYTES USED_BYTES\n", and a
// link `<figures file>.dfree` to this program; smb.conf names the link, because Samba runs
// `dfree command` as one argv element (no word splitting) with the directory appended. Runs as
// the connected user. Plain C++ and libc only (no agent library): it starts in a millisecond.
// Every problem means "print nothing, exit 1", and Samba then shows the real disk figures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sharectl::dfree {

// The most bytes a figures file may hold ("18446744073709551615 18446744073709551615\n" is 42).
inline constexpr std::size_t k_max_figures_bytes = 64;

// The suffix of the per-space links to this program: invoked as `<dir>/<id>.dfree`, the figures
// file is `<dir>/<id>`.
inline constexpr std::string_view k_link_suffix = ".dfree";

// The block size of the answer.
inline constexpr std::uint64_t k_block_bytes = 1024;

// A space's size and what it uses, in bytes.
struct Figures {
  std::uint64_t size_bytes = 0;
  std::uint64_t used_bytes = 0;
};

// Parses a figures file: two decimal numbers separated by one space, an optional final newline,
// nothing else (no signs, no leading zeros beyond "0", at most k_max_figures_bytes, size > 0).
// nullopt otherwise.
std::optional<Figures> parse_figures(std::string_view text);

// Samba's answer "TOTAL FREE 1024\n" in 1024-byte blocks: TOTAL = size (at least one block),
// FREE = size − used (0 when used ≥ size), and no more than disk_free_bytes when that is known
// (a space cannot take more than its disk still has). Never fails.
std::string format_answer(const Figures& figures,
                          std::optional<std::uint64_t> disk_free_bytes = std::nullopt);

// The figures file a run is about: argv[0] without k_link_suffix when it was started through a
// link (Samba), else argv[1] (`sharectl-dfree FIGURES_FILE [DIRECTORY]`). The path must be
// absolute; nullopt otherwise.
std::optional<std::string> figures_path(int argc, const char* const* argv);

// The content of a regular file of at most k_max_figures_bytes (not following a final
// symlink); nullopt when it cannot be read or is anything else.
std::optional<std::string> read_figures_file(const std::string& path);

// The bytes available to unprivileged users on the filesystem holding `directory`; nullopt
// when it cannot be measured.
std::optional<std::uint64_t> disk_free_bytes(const char* directory);

// The whole program: the line to print on stdout, or nullopt (print nothing, exit 1). Reads the
// figures file and the free bytes of the working directory (Samba runs the command in the
// share's directory).
std::optional<std::string> run(int argc, const char* const* argv);

} // namespace sharectl::dfree
