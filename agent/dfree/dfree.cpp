// sharectl-dfree's logic; see dfree.hpp. Plain C++ and libc only: main.cpp and this file are
// the whole program.
#include "agent/dfree/dfree.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace sharectl::dfree {
namespace {

// One decimal number without sign or superfluous leading zero; nullopt otherwise.
std::optional<std::uint64_t> number(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text.front() == '0')) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

} // namespace

std::optional<Figures> parse_figures(std::string_view text) {
  if (text.size() > k_max_figures_bytes) {
    return std::nullopt;
  }
  if (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
  }
  const auto space = text.find(' ');
  if (space == std::string_view::npos) {
    return std::nullopt;
  }
  const auto size = number(text.substr(0, space));
  const auto used = number(text.substr(space + 1));
  if (!size || !used || *size == 0) {
    return std::nullopt;
  }
  return Figures{*size, *used};
}

std::string format_answer(const Figures& figures, std::optional<std::uint64_t> disk_free_bytes) {
  std::uint64_t room =
      figures.used_bytes >= figures.size_bytes ? 0 : figures.size_bytes - figures.used_bytes;
  if (disk_free_bytes) {
    room = std::min(room, *disk_free_bytes);
  }
  const std::uint64_t total = std::max<std::uint64_t>(figures.size_bytes / k_block_bytes, 1);
  return std::to_string(total) + " " + std::to_string(room / k_block_bytes) + " " +
         std::to_string(k_block_bytes) + "\n";
}

std::optional<std::string> figures_path(int argc, const char* const* argv) {
  if (argc < 1 || argv == nullptr || argv[0] == nullptr) {
    return std::nullopt;
  }
  std::string_view self(argv[0]);
  std::string path;
  const auto slash = self.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? self : self.substr(slash + 1);
  if (ends_with(base, k_link_suffix) && base.size() > k_link_suffix.size()) {
    path = std::string(self.substr(0, self.size() - k_link_suffix.size()));
  } else if (argc >= 2 && argv[1] != nullptr) {
    path = argv[1];
  } else {
    return std::nullopt;
  }
  if (path.empty() || path.front() != '/') {
    return std::nullopt;
  }
  return path;
}

std::optional<std::string> read_figures_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    return std::nullopt;
  }
  struct stat st {};
  std::optional<std::string> out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
      static_cast<std::uint64_t>(st.st_size) <= k_max_figures_bytes) {
    char buffer[k_max_figures_bytes + 1];
    std::size_t filled = 0;
    while (filled < sizeof buffer) {
      const ssize_t got = ::read(fd, buffer + filled, sizeof buffer - filled);
      if (got < 0 && errno == EINTR) {
        continue;
      }
      if (got <= 0) {
        if (got == 0) {
          out = std::string(buffer, filled);
        }
        break;
      }
      filled += static_cast<std::size_t>(got);
    }
    if (out && out->size() > k_max_figures_bytes) {
      out.reset(); // grew while we read
    }
  }
  ::close(fd);
  return out;
}

std::optional<std::uint64_t> disk_free_bytes(const char* directory) {
  struct statvfs info {};
  if (::statvfs(directory, &info) != 0) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize;
}

std::optional<std::string> run(int argc, const char* const* argv) {
  const auto path = figures_path(argc, argv);
  if (!path) {
    return std::nullopt;
  }
  const auto text = read_figures_file(*path);
  if (!text) {
    return std::nullopt;
  }
  const auto figures = parse_figures(*text);
  if (!figures) {
    return std::nullopt;
  }
  return format_answer(*figures, disk_free_bytes("."));
}

} // namespace sharectl::dfree
