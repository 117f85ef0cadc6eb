// Lexical path checks; see path.hpp.
#include "common/validate/path.hpp"

#include <string>
#include <utility>

#include "common/validate/text.hpp"

namespace sharectl::validate {
namespace {

bool is_path_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == '+' || c == '@' || c == '/';
}

std::unexpected<Error> path_error(std::string_view kind, std::string_view text,
                                  const std::string& rule) {
  return fail(ErrorCode::bad_request,
              std::string(kind) + " " + quote_for_message(text) + ": " + rule);
}

// The checks shared by absolute paths and relative subdirectories; `text` is non-empty, and
// starts with '/' if and only if the path is absolute.
Status check_path(std::string_view kind, std::string_view text) {
  if (text.size() > k_max_path_bytes) {
    return path_error(kind, text,
                      "at most " + std::to_string(k_max_path_bytes) + " bytes are allowed (got " +
                          std::to_string(text.size()) + ")");
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!is_path_byte(text[i])) {
      return path_error(kind, text,
                        "only letters, digits, '.', '_', '-', '+', '@' and '/' are allowed "
                        "(found " +
                            describe_byte(text[i]) + " at position " + std::to_string(i + 1) + ")");
    }
  }
  if (text == "/") {
    return {};
  }
  if (text.back() == '/') {
    return path_error(kind, text, "must not end with '/'");
  }
  std::size_t start = text.front() == '/' ? 1 : 0;
  for (std::size_t index = 1; start <= text.size(); ++index) {
    std::size_t end = text.find('/', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view component = text.substr(start, end - start);
    if (component.empty()) {
      return path_error(kind, text, "must not contain empty components (\"//\")");
    }
    if (component == "." || component == "..") {
      return path_error(kind, text, "must not contain \".\" or \"..\" components");
    }
    if (component.front() == '-') {
      return path_error(kind, text,
                        "components must not start with '-' (component " + std::to_string(index) +
                            " does)");
    }
    if (component.size() > k_max_component_bytes) {
      return path_error(kind, text,
                        "each component may have at most " + std::to_string(k_max_component_bytes) +
                            " bytes (component " + std::to_string(index) + " has " +
                            std::to_string(component.size()) + ")");
    }
    start = end + 1;
  }
  return {};
}

} // namespace

Result<std::filesystem::path> validate_path(std::string_view text) {
  constexpr std::string_view kind = "path";
  if (text.empty()) {
    return path_error(kind, text, "must not be empty");
  }
  if (text.front() != '/') {
    return path_error(kind, text, "must be absolute (start with '/')");
  }
  if (auto status = check_path(kind, text); !status) {
    return std::unexpected(std::move(status.error()));
  }
  return std::filesystem::path(text);
}

Result<std::filesystem::path> validate_path_inside(std::string_view text,
                                                   const std::filesystem::path& root) {
  std::string root_text = root.string();
  while (root_text.size() > 1 && root_text.back() == '/') {
    root_text.pop_back();
  }
  if (auto checked_root = validate_path(root_text); !checked_root) {
    return fail(ErrorCode::internal,
                "the root directory is not a valid absolute path: " + checked_root.error().message);
  }
  auto path = validate_path(text);
  if (!path) {
    return path;
  }
  const bool inside = root_text == "/" || text == root_text ||
                      (text.starts_with(root_text) && text[root_text.size()] == '/');
  if (!inside) {
    return path_error("path", text, "must be " + quote_for_message(root_text) + " or below it");
  }
  return path;
}

Result<std::filesystem::path> validate_relative_subdir(std::string_view text) {
  constexpr std::string_view kind = "subdirectory";
  if (text.empty()) {
    return path_error(kind, text, "must not be empty");
  }
  if (text.front() == '/') {
    return path_error(kind, text, "must be relative (must not start with '/')");
  }
  if (auto status = check_path(kind, text); !status) {
    return std::unexpected(std::move(status.error()));
  }
  return std::filesystem::path(text);
}

} // namespace sharectl::validate
