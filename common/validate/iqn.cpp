// iSCSI qualified names; see iqn.hpp.
#include "common/validate/iqn.hpp"

#include <string>

#include "common/validate/text.hpp"

namespace sharectl::validate {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_label_byte(char c) {
  return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-';
}

std::unexpected<Error> iqn_error(std::string_view iqn, const std::string& rule) {
  return fail(ErrorCode::bad_request, "IQN " + quote_for_message(iqn) + ": " + rule);
}

std::string found_at(std::string_view iqn, std::size_t pos) {
  std::string out =
      " (found " + describe_byte(iqn[pos]) + " at position " + std::to_string(pos + 1);
  if (is_upper(iqn[pos])) {
    out += "; iSCSI names are lower-case";
  }
  return out + ")";
}

} // namespace

Status validate_iqn(std::string_view iqn) {
  constexpr std::string_view example = " (e.g. iqn.2024-01.com.example:storage1)";
  if (iqn.empty()) {
    return iqn_error(iqn, "must not be empty");
  }
  if (iqn.size() > k_max_iqn_bytes) {
    return iqn_error(iqn, "at most " + std::to_string(k_max_iqn_bytes) +
                              " bytes are allowed (got " + std::to_string(iqn.size()) + ")");
  }
  if (!iqn.starts_with("iqn.")) {
    return iqn_error(iqn, "must start with \"iqn.\"" + std::string(example));
  }
  // "iqn." yyyy "-" mm "."
  constexpr std::size_t date_start = 4;
  constexpr std::size_t date_end = date_start + 7;
  const bool date_ok = iqn.size() > date_end && is_digit(iqn[4]) && is_digit(iqn[5]) &&
                       is_digit(iqn[6]) && is_digit(iqn[7]) && iqn[8] == '-' && is_digit(iqn[9]) &&
                       is_digit(iqn[10]) && iqn[date_end] == '.';
  if (!date_ok) {
    return iqn_error(iqn, "\"iqn.\" must be followed by a date yyyy-mm and a '.'" +
                              std::string(example));
  }
  const int month = (iqn[9] - '0') * 10 + (iqn[10] - '0');
  if (month < 1 || month > 12) {
    return iqn_error(iqn, "the month must be 01 to 12 (got " + std::string(iqn.substr(9, 2)) + ")");
  }
  const std::size_t authority_start = date_end + 1;
  std::size_t colon = iqn.find(':', authority_start);
  if (colon == std::string_view::npos) {
    colon = iqn.size();
  }
  const std::string_view authority = iqn.substr(authority_start, colon - authority_start);
  if (authority.empty()) {
    return iqn_error(iqn, "the naming authority (a reversed domain name) must not be empty" +
                              std::string(example));
  }
  for (std::size_t i = authority_start; i < colon; ++i) {
    if (!is_label_byte(iqn[i]) && iqn[i] != '.') {
      return iqn_error(iqn, "the naming authority allows only lower-case letters, digits, '.' "
                            "and '-'" +
                                found_at(iqn, i));
    }
  }
  for (std::size_t start = 0; start <= authority.size();) {
    std::size_t end = authority.find('.', start);
    if (end == std::string_view::npos) {
      end = authority.size();
    }
    const std::string_view label = authority.substr(start, end - start);
    if (label.empty()) {
      return iqn_error(iqn, "the naming authority must be a reversed domain name without empty "
                            "labels");
    }
    if (label.front() == '-' || label.back() == '-') {
      return iqn_error(iqn, "the labels of the naming authority must not start or end with '-'");
    }
    start = end + 1;
  }
  if (colon == iqn.size()) {
    return {};
  }
  if (colon + 1 == iqn.size()) {
    return iqn_error(iqn, "the name after ':' must not be empty");
  }
  for (std::size_t i = colon + 1; i < iqn.size(); ++i) {
    if (!is_label_byte(iqn[i]) && iqn[i] != '.' && iqn[i] != ':') {
      return iqn_error(iqn, "the name after ':' allows only lower-case letters, digits, '.', "
                            "'-' and ':'" +
                                found_at(iqn, i));
    }
  }
  return {};
}

} // namespace sharectl::validate
