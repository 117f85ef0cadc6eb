// Names of users, groups, roles, spaces and shares; see names.hpp.
#include "common/validate/names.hpp"

#include <array>

#include "common/validate/text.hpp"

namespace sharectl::validate {
namespace {

bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_punct(char c) {
  return c == '.' || c == '_' || c == '-';
}

// One name rule: which bytes may appear, which may come first, and how long it may be.
struct NameRule {
  std::string_view kind;
  std::size_t max_length;
  bool (*allowed)(char);
  bool (*allowed_first)(char);
  std::string_view allowed_text;
  std::string_view first_text;
};

constexpr NameRule k_account_rule(std::string_view kind, std::size_t max_length) {
  return NameRule{
      kind,
      max_length,
      [](char c) { return is_lower(c) || is_digit(c) || is_punct(c); },
      [](char c) { return is_lower(c) || c == '_'; },
      "only lower-case letters, digits, '.', '_' and '-' are allowed",
      "must start with a lower-case letter or '_'",
  };
}

constexpr NameRule k_resource_rule(std::string_view kind, std::size_t max_length) {
  return NameRule{
      kind,
      max_length,
      [](char c) { return is_lower(c) || is_upper(c) || is_digit(c) || is_punct(c); },
      [](char c) { return is_lower(c) || is_upper(c) || is_digit(c); },
      "only letters, digits, '.', '_' and '-' are allowed",
      "must start with a letter or a digit",
  };
}

constexpr NameRule k_username = k_account_rule("username", k_max_username_length);
constexpr NameRule k_group_name = k_account_rule("group name", k_max_group_name_length);
constexpr NameRule k_role_name = k_account_rule("role name", k_max_group_name_length);
constexpr NameRule k_space_name = k_resource_rule("space name", k_max_space_name_length);
constexpr NameRule k_share_name = k_resource_rule("share name", k_max_share_name_length);

// Share names Samba keeps for itself (smb.conf sections), in folded form.
constexpr std::array<std::string_view, 3> k_reserved_share_names{"global", "homes", "printers"};

std::string prefix(const NameRule& rule, std::string_view name) {
  return std::string(rule.kind) + " " + quote_for_message(name) + ": ";
}

Status check_name(const NameRule& rule, std::string_view name) {
  if (name.empty()) {
    return fail(ErrorCode::bad_request, prefix(rule, name) + "must not be empty");
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!rule.allowed(name[i])) {
      return fail(ErrorCode::bad_request, prefix(rule, name) + std::string(rule.allowed_text) +
                                              " (found " + describe_byte(name[i]) +
                                              " at position " + std::to_string(i + 1) + ")");
    }
  }
  if (!rule.allowed_first(name.front())) {
    return fail(ErrorCode::bad_request, prefix(rule, name) + std::string(rule.first_text) +
                                            " (found " + describe_byte(name.front()) + ")");
  }
  if (name.size() > rule.max_length) {
    return fail(ErrorCode::bad_request,
                prefix(rule, name) + "at most " + std::to_string(rule.max_length) +
                    " characters are allowed (got " + std::to_string(name.size()) + ")");
  }
  return {};
}

} // namespace

Status validate_username(std::string_view name) {
  return check_name(k_username, name);
}

Status validate_group_name(std::string_view name) {
  return check_name(k_group_name, name);
}

Status validate_role_name(std::string_view name) {
  return check_name(k_role_name, name);
}

Status validate_space_name(std::string_view name) {
  return check_name(k_space_name, name);
}

Status validate_share_name(std::string_view name) {
  if (auto status = check_name(k_share_name, name); !status) {
    return status;
  }
  const std::string folded = fold_share_name(name);
  for (const auto reserved : k_reserved_share_names) {
    if (folded == reserved) {
      return fail(ErrorCode::bad_request,
                  prefix(k_share_name, name) + "\"" + std::string(reserved) +
                      "\" is reserved by Samba (global, homes and printers are reserved in any "
                      "letter case)");
    }
  }
  return {};
}

std::string fold_share_name(std::string_view name) {
  std::string folded(name);
  for (char& c : folded) {
    if (is_upper(c)) {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return folded;
}

} // namespace sharectl::validate
