// Resource globs; see glob.hpp.
#include "common/validate/glob.hpp"

#include <string>
#include <vector>

#include "common/validate/text.hpp"

namespace sharectl::validate {
namespace {

bool is_glob_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == ':' || c == '/' || c == '*' || c == '?';
}

bool is_foreign_metacharacter(char c) {
  return c == '[' || c == ']' || c == '{' || c == '}' || c == '!' || c == '\\';
}

std::unexpected<Error> glob_error(std::string_view glob, const std::string& rule) {
  return fail(ErrorCode::bad_request, "glob " + quote_for_message(glob) + ": " + rule);
}

} // namespace

Status validate_glob(std::string_view glob) {
  if (glob.empty()) {
    return glob_error(glob, "must not be empty");
  }
  for (std::size_t i = 0; i < glob.size(); ++i) {
    const std::string found =
        " (found " + describe_byte(glob[i]) + " at position " + std::to_string(i + 1) + ")";
    if (is_foreign_metacharacter(glob[i])) {
      return glob_error(glob, "the only wildcards are '*', '**' and '?'; '[', ']', '{', '}', '!' "
                              "and '\\' are not allowed" +
                                  found);
    }
    if (!is_glob_byte(glob[i])) {
      return glob_error(glob, "only letters, digits, '.', '_', '-', ':', '/', '*' and '?' are "
                              "allowed" +
                                  found);
    }
  }
  if (const auto pos = glob.find("***"); pos != std::string_view::npos) {
    return glob_error(glob, "'***' is not allowed, use '*' or '**' (found at position " +
                                std::to_string(pos + 1) + ")");
  }
  if (glob.size() > k_max_glob_length) {
    return glob_error(glob, "at most " + std::to_string(k_max_glob_length) +
                                " characters are allowed (got " + std::to_string(glob.size()) +
                                ")");
  }
  return {};
}

bool glob_match(std::string_view glob, std::string_view text) {
  // reach[j]: the glob tokens consumed so far can match exactly text[0, j). One pass per token.
  const std::size_t n = text.size();
  std::vector<char> reach(n + 1, 0);
  std::vector<char> next(n + 1, 0);
  reach[0] = 1;
  for (std::size_t g = 0; g < glob.size(); ++g) {
    const char token = glob[g];
    bool any = false;
    if (token == '*') {
      const bool crosses_slash = g + 1 < glob.size() && glob[g + 1] == '*';
      if (crosses_slash) {
        ++g;
      }
      // A star extends any reachable position by characters it may consume.
      next[0] = reach[0];
      for (std::size_t j = 1; j <= n; ++j) {
        next[j] =
            static_cast<char>(reach[j] || (next[j - 1] && (crosses_slash || text[j - 1] != '/')));
      }
    } else {
      next[0] = 0;
      for (std::size_t j = 1; j <= n; ++j) {
        const char c = text[j - 1];
        const bool consumes = token == '?' ? c != '/' : c == token;
        next[j] = static_cast<char>(reach[j - 1] && consumes);
      }
    }
    reach.swap(next);
    for (const char r : reach) {
      any = any || r != 0;
    }
    if (!any) {
      return false;
    }
  }
  return reach[n] != 0;
}

} // namespace sharectl::validate
