// A private temporary directory for one test, removed with everything in it when the object
// goes away. Creation failure throws: a test cannot run without its directory.
#pragma once

#include <filesystem>
#include <string_view>

namespace sharectl::test {

// Owns a fresh directory under $TMPDIR (or /tmp) named sharectl-test-XXXXXX.
class TempDir {
public:
  // Creates the directory with mode 0700 (chmod it for fixtures other users must traverse).
  TempDir();
  // Creates <base>/<prefix>XXXXXX instead (e.g. on tmpfs /dev/shm for a database fixture).
  TempDir(const std::filesystem::path& base, std::string_view prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The directory's absolute path.
  const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
};

// Where a server fixture keeps its data: tmpfs /dev/shm when it has 1 GiB free (servers fsync
// every write; on a busy disk that dominates their start and their tests), else $TMPDIR or /tmp.
std::filesystem::path fast_temp_base();

} // namespace sharectl::test
