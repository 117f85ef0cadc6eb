#include "cli/credentials/password.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <istream>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace sharectl::cli {

namespace {

// An open /dev/tty, closed on destruction.
class Tty {
public:
  Tty() : m_fd(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) {}
  ~Tty() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  Tty(const Tty&) = delete;
  Tty& operator=(const Tty&) = delete;

  bool ok() const { return m_fd >= 0; }
  int fd() const { return m_fd; }

  void write_text(std::string_view text) const {
    while (!text.empty()) {
      const auto n = ::write(m_fd, text.data(), text.size());
      if (n <= 0) {
        if (n < 0 && errno == EINTR) {
          continue;
        }
        return;
      }
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Reads up to a newline; false at end of input or on error.
  bool read_line(std::string& line) const {
    line.clear();
    char c = 0;
    while (true) {
      const auto n = ::read(m_fd, &c, 1);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return !line.empty();
      }
      if (c == '\n') {
        return true;
      }
      if (c != '\r') {
        line.push_back(c);
      }
    }
  }

private:
  int m_fd = -1;
};

} // namespace

Result<std::string> read_password_line(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) {
    return fail(ErrorCode::bad_request, "--password-stdin: no password on standard input");
  }
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  if (line.empty()) {
    return fail(ErrorCode::bad_request, "--password-stdin: the password line is empty");
  }
  if (line.find('\0') != std::string::npos) {
    return fail(ErrorCode::bad_request, "--password-stdin: the password contains a NUL byte");
  }
  return line;
}

bool have_terminal() {
  const Tty tty;
  return tty.ok();
}

Result<std::string> prompt_password(std::string_view prompt) {
  const Tty tty;
  if (!tty.ok()) {
    return fail(ErrorCode::bad_request,
                "no terminal to ask for the password; pipe it in with --password-stdin");
  }
  termios saved{};
  const bool have_termios = ::tcgetattr(tty.fd(), &saved) == 0;
  if (have_termios) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(tty.fd(), TCSAFLUSH, &quiet);
  }
  tty.write_text(prompt);
  std::string line;
  const bool got = tty.read_line(line);
  if (have_termios) {
    ::tcsetattr(tty.fd(), TCSAFLUSH, &saved);
  }
  if (!got || line.empty()) {
    return fail(ErrorCode::bad_request, "no password given");
  }
  return line;
}

Result<std::string> prompt_line(std::string_view prompt) {
  const Tty tty;
  if (!tty.ok()) {
    return fail(ErrorCode::bad_request, "no terminal to ask on");
  }
  tty.write_text(prompt);
  std::string line;
  if (!tty.read_line(line)) {
    return fail(ErrorCode::bad_request, "no answer given");
  }
  return line;
}

} // namespace sharectl::cli
