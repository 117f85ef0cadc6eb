// ScopedUmask: the process umask set for a scope and restored after it (file-mode tests; the
// programs a test starts meanwhile inherit it). Header-only.
#pragma once

#include <sys/stat.h>

namespace sharectl::test {

// Sets the process umask for the scope; restores the old one when it ends.
class ScopedUmask {
public:
  explicit ScopedUmask(::mode_t mask) : m_old(::umask(mask)) {}
  ~ScopedUmask() { ::umask(m_old); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

private:
  ::mode_t m_old;
};

} // namespace sharectl::test
