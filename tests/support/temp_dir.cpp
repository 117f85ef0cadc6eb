#include "tests/support/temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>

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

} // namespace sharectl::test
