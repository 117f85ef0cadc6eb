#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "cli/output/render.hpp"

using sharectl::cli::Column;
using sharectl::cli::ColumnKind;
using sharectl::cli::View;
using sharectl::config::OutputFormat;

namespace {

const View k_view{{{"NAME", "name"},
                   {"SIZE", "size_bytes", ColumnKind::size},
                   {"READ_ONLY", "read_only", ColumnKind::boolean},
                   {"ROLES", "roles", ColumnKind::list},
                   {"OWNER", "/owner/username"}},
                  "name"};

const nlohmann::json k_list = nlohmann::json::parse(R"([
  {"name": "projects", "size_bytes": 21474836480, "read_only": false, "roles": ["a", "b"],
   "owner": {"username": "alice"}},
  {"name": "x", "size_bytes": 1536, "read_only": true, "roles": [], "status_message": null}
])");

} // namespace

TEST_CASE("table: aligned columns, human sizes, no trailing spaces") {
  CHECK(sharectl::cli::render(k_list, OutputFormat::table, k_view) ==
        "NAME       SIZE      READ_ONLY   ROLES   OWNER\n"
        "projects   20 GiB    no          a,b     alice\n"
        "x          1.5 KiB   yes\n");
  CHECK(sharectl::cli::render(nlohmann::json::array(), OutputFormat::table, k_view) ==
        "NAME   SIZE   READ_ONLY   ROLES   OWNER\n");
}

TEST_CASE("a single object in table mode is a list of labelled lines") {
  CHECK(sharectl::cli::render(k_list[0], OutputFormat::table, k_view) == "NAME:       projects\n"
                                                                         "SIZE:       20 GiB\n"
                                                                         "READ_ONLY:  no\n"
                                                                         "ROLES:      a,b\n"
                                                                         "OWNER:      alice\n");
}

TEST_CASE("json prints exactly the API objects, sizes in bytes") {
  const auto text = sharectl::cli::render(k_list, OutputFormat::json, k_view);
  CHECK(nlohmann::json::parse(text) == k_list);
  CHECK(text.find("21474836480") != std::string::npos);
  CHECK(text.back() == '\n');
  CHECK(sharectl::cli::render(nlohmann::json::array(), OutputFormat::json, k_view) == "[]\n");
}

TEST_CASE("yaml prints the same values") {
  CHECK(sharectl::cli::render(k_list[1], OutputFormat::yaml, k_view) == "name: \"x\"\n"
                                                                        "read_only: true\n"
                                                                        "roles: []\n"
                                                                        "size_bytes: 1536\n"
                                                                        "status_message: null\n");
  CHECK(sharectl::cli::render(nlohmann::json::array(), OutputFormat::yaml, k_view) == "[]\n");
  CHECK(sharectl::cli::render(nlohmann::json::array({nlohmann::json{{"a", 1}}}), OutputFormat::yaml,
                              k_view) == "- a: 1\n");
}

TEST_CASE("name prints one identifier a line") {
  CHECK(sharectl::cli::render(k_list, OutputFormat::name, k_view) == "projects\nx\n");
  CHECK(sharectl::cli::render(k_list[0], OutputFormat::name, k_view) == "projects\n");
  CHECK(sharectl::cli::render_names(k_list, "/owner/username") == "alice\n");
}
