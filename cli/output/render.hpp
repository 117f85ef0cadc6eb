// Printing results (SPEC.md "Output"): table for people (aligned columns, human sizes), json
// and yaml with exactly the API objects (a list as an array), name with one identifier a line.
// nlohmann/json is only forward-declared here; yaml-cpp stays in yaml.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/config/client_config.hpp"

namespace sharectl::cli {

// How a table cell shows a value.
enum class ColumnKind {
  text,    // strings as they are, numbers in decimal, null/absent as ""
  size,    // bytes as format_size ("20 GiB")
  boolean, // "yes" / "no"
  list,    // array elements joined by ","
  percent, // the field as a share of Column::total, rounded up like df ("42%"); "" without a
           // positive total
};

// One column: its header (upper case), the field (a key or a JSON pointer "/a/b") and kind.
struct Column {
  std::string header;
  std::string field;
  ColumnKind kind = ColumnKind::text;
  std::string total{}; // percent: the field holding the whole (e.g. "size_bytes")
};

// "N%": `part` as a share of `whole`, rounded up (so any use shows as at least 1%); "" when
// whole is 0. Never fails.
std::string format_percent(std::uint64_t part, std::uint64_t whole);

// How one command's result prints in each format.
struct View {
  std::vector<Column> columns;    // table columns (and the rows of a single object's details)
  std::string name_field{"name"}; // what -o name prints for each object
};

// One table cell: the field's value rendered by kind. Never fails.
std::string render_cell(const nlohmann::json& object, const Column& column);

// An aligned table: upper-case headers, columns separated by three spaces, no trailing spaces,
// one row per element of `rows` (an array). Never fails.
std::string render_table(const nlohmann::json& rows, const std::vector<Column>& columns);

// A single object for people: one "HEADER:  value" line per column, labels aligned. Never fails.
std::string render_details(const nlohmann::json& object, const std::vector<Column>& columns);

// Pretty JSON (two-space indent) and a newline. Never fails.
std::string render_json(const nlohmann::json& value);

// The same value as a YAML document (block style; strings quoted where needed). Never fails.
std::string render_yaml(const nlohmann::json& value);

// One identifier a line: name_field of each element (or of the single object). Never fails.
std::string render_names(const nlohmann::json& value, std::string_view name_field);

// The result in `format`: an array is a list (table / array), an object a single result
// (details / object). Never fails.
std::string render(const nlohmann::json& value, config::OutputFormat format, const View& view);

} // namespace sharectl::cli
