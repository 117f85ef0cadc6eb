// Listen addresses and host names of the agent config: parsing "host:port" (IPv6 in brackets),
// validating host names and telling loopback addresses apart (split from agent_config.cpp).
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/config/agent_config.hpp"
#include "common/validate/text.hpp"

namespace sharectl::config {
namespace {

bool all_of_chars(std::string_view text, std::string_view allowed_extra) {
  for (const char c : text) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && allowed_extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

} // namespace

Status validate_host(std::string_view host) {
  if (host.empty()) {
    return fail(ErrorCode::bad_request, "the host is empty");
  }
  const std::string text(host);
  if (host.find(':') != std::string_view::npos) {
    in6_addr address{};
    if (::inet_pton(AF_INET6, text.c_str(), &address) != 1) {
      return fail(ErrorCode::bad_request,
                  validate::quote_for_message(host) + " is not a valid IPv6 address");
    }
    return {};
  }
  if (host.find_first_not_of("0123456789.") == std::string_view::npos) {
    in_addr address{};
    if (::inet_pton(AF_INET, text.c_str(), &address) != 1) {
      return fail(ErrorCode::bad_request,
                  validate::quote_for_message(host) + " is not a valid IPv4 address");
    }
    return {};
  }
  bool ok = host.size() <= 253;
  std::size_t start = 0;
  while (ok && start <= host.size()) {
    const auto end = std::min(host.find('.', start), host.size());
    const std::string_view label = host.substr(start, end - start);
    ok = !label.empty() && label.size() <= 63 && all_of_chars(label, "-") && label.front() != '-' &&
         label.back() != '-';
    start = end + 1;
  }
  if (!ok) {
    return fail(ErrorCode::bad_request,
                validate::quote_for_message(host) +
                    " is not a valid host name (letters, digits and '-' in dot-separated labels) "
                    "or IP address");
  }
  return {};
}

bool is_loopback_host(std::string_view host) {
  if (host.size() == 9) {
    std::string lower(host);
    for (char& c : lower) {
      c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    if (lower == "localhost") {
      return true;
    }
  }
  const std::string text(host);
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) {
      return true;
    }
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
  const auto invalid = [&](std::string_view why) {
    return fail(ErrorCode::bad_request, "invalid listen address " +
                                            validate::quote_for_message(text) + ": " +
                                            std::string(why) +
                                            " (expected host:port, e.g. 0.0.0.0:7443 or "
                                            "[::1]:7443)");
  };
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return invalid("no closing ']'");
    }
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return invalid("a port is missing");
    }
    port = rest.substr(1);
    if (host.find(':') == std::string_view::npos) {
      return invalid("brackets are only for IPv6 addresses");
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return invalid("a port is missing");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return invalid("an IPv6 address must be written in brackets");
    }
  }
  if (auto valid = validate_host(host); !valid) {
    return invalid(valid.error().message);
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string_view::npos || port.front() == '0') {
    return invalid("the port must be a number from 1 to 65535");
  }
  unsigned value = 0;
  for (const char c : port) {
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) {
    return invalid("the port must be a number from 1 to 65535");
  }
  return ListenAddress{std::string(host), static_cast<std::uint16_t>(value)};
}

std::string format_listen_address(const ListenAddress& address) {
  if (address.host.find(':') != std::string::npos) {
    return "[" + address.host + "]:" + std::to_string(address.port);
  }
  return address.host + ":" + std::to_string(address.port);
}

} // namespace sharectl::config
