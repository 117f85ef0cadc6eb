// Putting the rendered include file in place and making smbd use it (DESIGN.md "Host
// integration facts"): skip no-op writes, validate with testparm, write atomically, reload smbd
// and close the shares whose access shrank so that open sessions lose revoked rights. Also the
// one edit the agent makes to the admin's smb.conf: ensuring its `include =` line.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/util/error.hpp"
#include "common/util/process.hpp"

namespace sharectl::agent::host {

// Where the Samba configuration lives (agent config `samba.config` and `samba.include`).
struct SambaPaths {
  std::filesystem::path config;  // the admin's smb.conf; smbd is addressed with --configfile=
  std::filesystem::path include; // the file the agent owns and rewrites
};

// What apply() did.
struct ApplyReport {
  bool written = false;            // the include file was replaced
  bool reloaded = false;           // smbd was told to reload its config
  std::vector<std::string> closed; // shares whose connections were closed (close-share)
};

// The share sections of an include file whose access may have shrunk from old_text to new_text:
// removed sections, and sections that lost a valid user or a writer, became read-only, or
// changed any parameter other than comment/browseable or growing lists. Only valid share names
// are returned (they reach smbcontrol's argv), sorted. Never fails.
std::vector<std::string> shares_to_close(std::string_view old_text, std::string_view new_text);

// Checks a finished `testparm -s` run on a file expected to hold expected_sections share
// sections: fails with bad_request (carrying testparm's lines) on a non-zero exit, on any
// stderr line about an unknown parameter, a badly formed line, an error or a warning, or when
// testparm's dump has a different number of share sections (a name that broke a header, a
// duplicate section).
Status check_testparm(const ProcessResult& result, std::size_t expected_sections);

// The number of section headers ("[…]" lines, [global] excluded) in smb.conf text. Never fails.
std::size_t count_sections(std::string_view text);

// Writes the include file and tells smbd. Not thread-safe: one writer per include file.
class SambaConfigWriter {
public:
  // Uses runner for testparm and smbcontrol (looked up on PATH); the runner must outlive this.
  SambaConfigWriter(ProcessRunner& runner, SambaPaths paths);

  // Makes the include file hold text. The first call removes the temporaries a writer killed
  // mid-write left beside the file, and picks up the reload and close-shares a writer killed
  // between the rename and smbcontrol still owed (the marker file `.NAME.pending` beside the
  // include: written before the rename with the shares to close, removed once smbd has
  // reloaded and closed them — so a revoked user loses their session even across a crash).
  // Identical content on disk → nothing is written or reloaded (unless a previous reload failed).
  // Otherwise: testparm on the temporary file (check_testparm) → atomic rename → `smbcontrol
  // --configfile=CONFIG smbd reload-config` → `smbcontrol … smbd close-share NAME` for every
  // shares_to_close(old, new). A testparm failure returns bad_request and leaves the old file
  // untouched; a failed reload (unavailable: smbd not running) leaves the new file in place and is
  // retried, with the pending close-shares, by the next apply(). Other I/O failures: internal.
  Result<ApplyReport> apply(std::string_view text);

  // Runs testparm on an smb.conf file or fragment; check_testparm's verdict.
  Status validate_file(const std::filesystem::path& file, std::size_t expected_sections);

  // `smbcontrol --configfile=CONFIG smbd reload-config`; unavailable when smbd is not running
  // (the tool's message), internal when smbcontrol cannot run.
  Status reload();

  // `smbcontrol --configfile=CONFIG smbd close-share NAME`; bad_request for an invalid share
  // name, otherwise as reload().
  Status close_share(std::string_view name);

  // The configured paths.
  const SambaPaths& paths() const { return m_paths; }

private:
  Status smbcontrol(std::vector<std::string> args);
  // Deletes temporaries of the include file a killed writer left beside it. Never fails.
  void remove_stale_temporaries();
  // The marker of an owed reload and its close-shares (see apply()).
  std::filesystem::path pending_path() const;
  // Writes the marker with m_close_pending (atomically); internal on failure.
  Status write_pending();
  // Loads a marker a killed writer left: reload owed, its shares to close. Never fails.
  void load_pending();

  ProcessRunner& m_runner;
  SambaPaths m_paths;
  bool m_reload_pending = false;
  std::vector<std::string> m_close_pending;
  bool m_swept = false; // stale temporaries removed (once, at the first apply)
};

// The admin's smb.conf text with exactly one `include = include_path` line in [global] (at the
// end of the first [global] section, or a new [global] section at the end of the file), other
// copies of that line removed and every other byte unchanged; nullopt when the text already is
// so. Never fails.
std::optional<std::string> with_include_line(std::string_view text,
                                             const std::filesystem::path& include_path);

// Ensures the admin's smb.conf at main_conf includes include_path exactly once in [global]:
// nothing is written when it already does (returns false); otherwise an atomic write keeping
// the file's mode and owner, validated by testparm's exit status (returns true). Fails with
// bad_request for an include path that is not a valid absolute path, not_found when main_conf
// does not exist, bad_request when testparm rejects the result, internal on I/O errors.
Result<bool> ensure_include(ProcessRunner& runner, const std::filesystem::path& main_conf,
                            const std::filesystem::path& include_path);

} // namespace sharectl::agent::host
