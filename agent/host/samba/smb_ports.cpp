#include "agent/host/samba/smb_ports.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sharectl::agent::host {

namespace {

// A parameter name as Samba compares it: lower case, without spaces and underscores.
std::string normalized(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c != ' ' && c != '\t' && c != '_') {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
  }
  return out;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

} // namespace

int smb_port_in(std::string_view smb_conf_text) {
  std::string value;
  bool global = true; // parameters before any section count as global
  std::string line;
  std::istringstream in{std::string(smb_conf_text)};
  std::string raw;
  while (std::getline(in, raw)) {
    line += raw;
    if (!line.empty() && line.back() == '\\') { // continues on the next line
      line.pop_back();
      continue;
    }
    const std::string_view text = trimmed(line);
    if (text.empty() || text.front() == ';' || text.front() == '#') {
      line.clear();
      continue;
    }
    if (text.front() == '[') {
      const auto close = text.find(']');
      global = close != std::string_view::npos && normalized(text.substr(1, close - 1)) == "global";
    } else if (global) {
      const auto eq = text.find('=');
      if (eq != std::string_view::npos && normalized(text.substr(0, eq)) == "smbports") {
        value = std::string(trimmed(text.substr(eq + 1)));
      }
    }
    line.clear();
  }
  std::vector<int> ports;
  std::size_t at = 0;
  while (at < value.size()) {
    const auto end = value.find_first_of(" \t,", at);
    const std::string_view item =
        std::string_view(value).substr(at, end == std::string::npos ? std::string::npos : end - at);
    int port = 0;
    if (auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), port);
        ec == std::errc() && ptr == item.data() + item.size() && port > 0 && port < 65536) {
      ports.push_back(port);
    }
    if (end == std::string::npos) {
      break;
    }
    at = end + 1;
  }
  for (int port : ports) {
    if (port == 445) {
      return 445;
    }
  }
  return ports.empty() ? 445 : ports.front();
}

int smb_port_of(const std::filesystem::path& smb_conf) {
  std::ifstream in(smb_conf);
  if (!in) {
    return 445;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return smb_port_in(text.str());
}

} // namespace sharectl::agent::host
