#include "tests/support/temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>

#include <sys/statvfs.h>
#include <unistd.h>

namespace sharectl::test {

namespace {

std::filesystem::path default_base() {
  const char* base = std::getenv("TMPDIR");
  return base != nullptr && *base != '\0' ? base : "/tmp";
}

} // namespace

TempDir::TempDir() : TempDir(default_base(), "sharectl-test-") {}

TempDir::TempDir(const std::filesystem::path& base, std::string_view prefix) {
  std::string pattern = (base / prefix).string() + "XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  m_path = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

std::filesystem::path fast_temp_base() {
  struct statvfs shm {};
  if (::statvfs("/dev/shm", &shm) == 0 && ::access("/dev/shm", W_OK | X_OK) == 0 &&
      static_cast<unsigned long long>(shm.f_bavail) * shm.f_frsize >= (1ULL << 30)) {
    return "/dev/shm";
  }
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

} // namespace sharectl::test
