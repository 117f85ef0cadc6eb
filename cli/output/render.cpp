#include "cli/output/render.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/validate/size.hpp"

namespace sharectl::cli {

namespace {

const nlohmann::json* find_field(const nlohmann::json& object, const std::string& field) {
  if (!object.is_object()) {
    return nullptr;
  }
  if (!field.empty() && field.front() == '/') {
    const nlohmann::json::json_pointer pointer(field);
    return object.contains(pointer) ? &object.at(pointer) : nullptr;
  }
  const auto it = object.find(field);
  return it == object.end() ? nullptr : &*it;
}

std::string scalar_text(const nlohmann::json& value) {
  if (value.is_null()) {
    return "";
  }
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_boolean()) {
    return value.get<bool>() ? "true" : "false";
  }
  return value.dump();
}

// The value as a non-negative integer; nullopt for anything else.
std::optional<std::uint64_t> unsigned_of(const nlohmann::json* value) {
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_number_unsigned() ||
      (value->is_number_integer() && value->get<std::int64_t>() >= 0)) {
    return value->get<std::uint64_t>();
  }
  return std::nullopt;
}

std::string rtrim(std::string line) {
  while (!line.empty() && line.back() == ' ') {
    line.pop_back();
  }
  return line;
}

} // namespace

std::string format_percent(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) {
    return "";
  }
  // ceil(part * 100 / whole) without overflowing: split part into whole multiples and the rest.
  const std::uint64_t times = part / whole;
  const std::uint64_t rest = part % whole;
  const long double fraction =
      static_cast<long double>(rest) * 100 / static_cast<long double>(whole);
  auto percent = static_cast<std::uint64_t>(fraction);
  if (static_cast<long double>(percent) < fraction) {
    ++percent;
  }
  return std::to_string(times * 100 + percent) + "%";
}

std::string render_cell(const nlohmann::json& object, const Column& column) {
  const nlohmann::json* value = find_field(object, column.field);
  if (value == nullptr || value->is_null()) {
    return "";
  }
  switch (column.kind) {
  case ColumnKind::size:
    if (value->is_number_unsigned() ||
        (value->is_number_integer() && value->get<std::int64_t>() >= 0)) {
      return validate::format_size(value->get<std::uint64_t>());
    }
    return scalar_text(*value);
  case ColumnKind::boolean:
    if (value->is_boolean()) {
      return value->get<bool>() ? "yes" : "no";
    }
    return scalar_text(*value);
  case ColumnKind::list:
    if (value->is_array()) {
      std::string joined;
      for (const auto& element : *value) {
        if (!joined.empty()) {
          joined += ",";
        }
        joined += scalar_text(element);
      }
      return joined;
    }
    return scalar_text(*value);
  case ColumnKind::percent: {
    const auto part = unsigned_of(value);
    const auto whole = unsigned_of(find_field(object, column.total));
    if (part && whole) {
      return format_percent(*part, *whole);
    }
    return "";
  }
  case ColumnKind::text:
    break;
  }
  return scalar_text(*value);
}

std::string render_table(const nlohmann::json& rows, const std::vector<Column>& columns) {
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> widths;
  std::vector<std::string> header;
  for (const auto& column : columns) {
    header.push_back(column.header);
    widths.push_back(column.header.size());
  }
  cells.push_back(header);
  if (rows.is_array()) {
    for (const auto& row : rows) {
      std::vector<std::string> line;
      for (std::size_t i = 0; i < columns.size(); ++i) {
        line.push_back(render_cell(row, columns[i]));
        widths[i] = std::max(widths[i], line.back().size());
      }
      cells.push_back(std::move(line));
    }
  }
  std::string out;
  for (const auto& line : cells) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size()) {
        text.append(widths[i] - line[i].size() + 3, ' ');
      }
    }
    out += rtrim(std::move(text));
    out += '\n';
  }
  return out;
}

std::string render_details(const nlohmann::json& object, const std::vector<Column>& columns) {
  std::size_t width = 0;
  for (const auto& column : columns) {
    width = std::max(width, column.header.size() + 1);
  }
  std::string out;
  for (const auto& column : columns) {
    std::string line = column.header + ":";
    line.append(width - line.size() + 2, ' ');
    line += render_cell(object, column);
    out += rtrim(std::move(line));
    out += '\n';
  }
  return out;
}

std::string render_json(const nlohmann::json& value) {
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string render_names(const nlohmann::json& value, std::string_view name_field) {
  const Column column{"", std::string(name_field), ColumnKind::text};
  std::string out;
  auto one = [&](const nlohmann::json& object) {
    std::string name = render_cell(object, column);
    if (!name.empty()) {
      out += name;
      out += '\n';
    }
  };
  if (value.is_array()) {
    for (const auto& element : value) {
      one(element);
    }
  } else {
    one(value);
  }
  return out;
}

std::string render(const nlohmann::json& value, config::OutputFormat format, const View& view) {
  switch (format) {
  case config::OutputFormat::json:
    return render_json(value);
  case config::OutputFormat::yaml:
    return render_yaml(value);
  case config::OutputFormat::name:
    return render_names(value, view.name_field);
  case config::OutputFormat::table:
    break;
  }
  if (value.is_array()) {
    return render_table(value, view.columns);
  }
  return render_details(value, view.columns);
}

} // namespace sharectl::cli
