// The USE% column kind (cli/output/render.hpp ColumnKind::percent): rounded up like df, blank
// without a positive total or a number, and the space table's USED and USE% columns.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "cli/output/render.hpp"

using sharectl::cli::Column;
using sharectl::cli::ColumnKind;
using sharectl::cli::format_percent;
using sharectl::cli::render_cell;
using sharectl::cli::View;
using sharectl::config::OutputFormat;

TEST_CASE("percent: rounded up, so any use shows") {
  CHECK(format_percent(0, 100) == "0%");
  CHECK(format_percent(42, 100) == "42%");
  CHECK(format_percent(8388608, 20971520) == "40%");
  CHECK(format_percent(1, 20971520) == "1%");
  CHECK(format_percent(20971519, 20971520) == "100%");
  CHECK(format_percent(20971520, 20971520) == "100%");
  CHECK(format_percent(31457280, 20971520) == "150%"); // over its size (dir driver)
  CHECK(format_percent(UINT64_MAX, UINT64_MAX) == "100%");
  CHECK(format_percent(5, 0).empty());
}

TEST_CASE("percent: a column of one field over another") {
  const Column use{"USE%", "used_bytes", ColumnKind::percent, "size_bytes"};
  CHECK(render_cell(nlohmann::json{{"used_bytes", 8388608}, {"size_bytes", 20971520}}, use) ==
        "40%");
  CHECK(render_cell(nlohmann::json{{"used_bytes", 1}, {"size_bytes", 0}}, use).empty());
  CHECK(render_cell(nlohmann::json{{"used_bytes", 1}}, use).empty());
  CHECK(render_cell(nlohmann::json{{"used_bytes", "x"}, {"size_bytes", 10}}, use).empty());
  CHECK(render_cell(nlohmann::json{{"used_bytes", -1}, {"size_bytes", 10}}, use).empty());
  CHECK(render_cell(nlohmann::json{{"used_bytes", nullptr}, {"size_bytes", 10}}, use).empty());
}

TEST_CASE("percent: a space table with USED and USE%") {
  const View view{{{"NAME", "name"},
                   {"SIZE", "size_bytes", ColumnKind::size},
                   {"USED", "used_bytes", ColumnKind::size},
                   {"USE%", "used_bytes", ColumnKind::percent, "size_bytes"}},
                  "name"};
  const auto rows = nlohmann::json::parse(R"([
    {"name": "projects", "size_bytes": 20971520, "used_bytes": 8388608},
    {"name": "new", "size_bytes": 1073741824, "used_bytes": 0}
  ])");
  CHECK(sharectl::cli::render(rows, OutputFormat::table, view) ==
        "NAME       SIZE     USED    USE%\n"
        "projects   20 MiB   8 MiB   40%\n"
        "new        1 GiB    0 B     0%\n");
}
