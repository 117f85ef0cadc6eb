#include <filesystem>
#include <string>

#include <doctest/doctest.h>

#include "common/validate/path.hpp"
#include "tests/unit/common/validate/expect.hpp"

using namespace sharectl;
using namespace sharectl::validate;

namespace {
const char* const k_charset = "only letters, digits, '.', '_', '-', '+', '@' and '/' are allowed";
} // namespace

TEST_SUITE("validate") {

  TEST_CASE("validate_path accepts plain absolute paths") {
    for (const char* text :
         {"/", "/srv", "/srv/samba", "/mnt/pool-1/spaces/alice/Docs.v2", "/srv/lost+found",
          "/tank/fs@snap", "/srv/...", "/srv/.hidden", "/a_b/C-d/e.f"}) {
      CAPTURE(text);
      const auto path = validate_path(text);
      REQUIRE_MESSAGE(path.has_value(), (path ? "" : path.error().message));
      CHECK(path->string() == text);
    }
  }

  TEST_CASE("validate_path refuses relative, empty and non-normal paths") {
    CHECK_REFUSED(validate_path(""), "path \"\": must not be empty");
    CHECK_REFUSED(validate_path("srv/a"), "must be absolute (start with '/')");
    CHECK_REFUSED(validate_path("./srv"), "must be absolute");
    CHECK_REFUSED(validate_path("../etc"), "must be absolute");
    CHECK_REFUSED(validate_path("~/x"), "must be absolute");
    CHECK_REFUSED(validate_path("//srv"), "must not contain empty components (\"//\")");
    CHECK_REFUSED(validate_path("/srv//a"), "must not contain empty components");
    CHECK_REFUSED(validate_path("/srv/"), "must not end with '/'");
    CHECK_REFUSED(validate_path("//"), "must not end with '/'");
    CHECK_REFUSED(validate_path("/srv/./a"), "must not contain \".\" or \"..\" components");
    CHECK_REFUSED(validate_path("/srv/.."), "must not contain \".\" or \"..\" components");
    CHECK_REFUSED(validate_path("/srv/../etc/shadow"), "\"..\" components");
    CHECK_REFUSED(validate_path("/."), "\"..\" components");
    CHECK_REFUSED(validate_path("/srv/-rf"),
                  "components must not start with '-' (component 2 does)");
  }

  TEST_CASE("validate_path limits the path to 4096 bytes and components to 255") {
    const std::string component(255, 'c');
    CHECK_ACCEPTED(validate_path("/" + component));
    CHECK_REFUSED(validate_path("/srv/" + component + "c"),
                  "each component may have at most 255 bytes (component 2 has 256)");
    std::string longest;
    while (longest.size() + 101 <= k_max_path_bytes) {
      longest += "/" + std::string(100, 'p');
    }
    longest += "/" + std::string(k_max_path_bytes - longest.size() - 1, 'q');
    REQUIRE(longest.size() == 4096);
    CHECK_ACCEPTED(validate_path(longest));
    CHECK_REFUSED(validate_path(longest + "q"), "at most 4096 bytes are allowed (got 4097)");
  }

  TEST_CASE("validate_path refuses hostile characters with them escaped") {
    for (const auto& text : test::hostile_inputs()) {
      CAPTURE(text);
      CHECK_REFUSED(validate_path("/srv/" + text), "path \"/srv/");
    }
    CHECK_REFUSED(validate_path("/srv/a\nb"), k_charset);
    CHECK_REFUSED(validate_path("/srv/a\nb"), "found '\\n' at position 7");
    CHECK_REFUSED(validate_path("/srv/a\rb"), "found '\\r' at position 7");
    CHECK_REFUSED(validate_path(std::string_view("/srv/a\0b", 8)), "found '\\x00' at position 7");
    CHECK_REFUSED(validate_path("/srv/a\\"), "found '\\\\' at position 7");
    CHECK_REFUSED(validate_path("/srv/%U"), "found '%' at position 6");
    CHECK_REFUSED(validate_path("/srv/a;b"), "found ';'");
    CHECK_REFUSED(validate_path("/srv/a b"), "found ' '");
    CHECK_REFUSED(validate_path("/srv/a:b"), "found ':'");
    CHECK_REFUSED(validate_path("/srv/$(rm -rf /)"), "found '$' at position 6");
    CHECK_REFUSED(validate_path("/srv/`x`"), "found '`'");
    CHECK_REFUSED(validate_path("/srv/[a]"), "found '['");
    CHECK_REFUSED(validate_path("/srv/\xd0\xb0"
                                "dmin"),
                  "found non-ASCII byte 0xd0 at position 6");
  }

  TEST_CASE("validate_path_inside compares whole components") {
    const std::filesystem::path root = "/srv/a";
    CHECK_ACCEPTED(validate_path_inside("/srv/a", root));
    CHECK_ACCEPTED(validate_path_inside("/srv/a/b", root));
    CHECK_ACCEPTED(validate_path_inside("/srv/a/b/c", root));
    CHECK_ACCEPTED(validate_path_inside("/srv/a/b", "/srv/a/")); // trailing '/' on root tolerated
    CHECK_ACCEPTED(validate_path_inside("/anything", "/"));
    CHECK_ACCEPTED(validate_path_inside("/", "/"));
    CHECK_REFUSED(validate_path_inside("/srv/ab", root),
                  "path \"/srv/ab\": must be \"/srv/a\" or below it");
    CHECK_REFUSED(validate_path_inside("/srv/ab/c", root), "must be \"/srv/a\" or below it");
    CHECK_REFUSED(validate_path_inside("/srv", root), "or below it");
    CHECK_REFUSED(validate_path_inside("/", root), "or below it");
    CHECK_REFUSED(validate_path_inside("/etc/shadow", root), "or below it");
    CHECK_REFUSED(validate_path_inside("/srv/a/../b", root), "\"..\" components");
    CHECK_REFUSED(validate_path_inside("/srv/a/..", root), "\"..\" components");
    CHECK_REFUSED(validate_path_inside("srv/a/b", root), "must be absolute");
    CHECK_REFUSED(validate_path_inside("/srv/a/b\n", root), "found '\\n'");
  }

  TEST_CASE("validate_path_inside reports an invalid root as internal") {
    for (const char* root : {"", "srv", "/srv/../etc", "/srv//a"}) {
      CAPTURE(root);
      const auto result = validate_path_inside("/srv/a", root);
      REQUIRE_FALSE(result.has_value());
      CHECK(result.error().code == ErrorCode::internal);
      CHECK(result.error().message.find("the root directory is not a valid absolute path") !=
            std::string::npos);
    }
  }

  TEST_CASE("validate_relative_subdir accepts plain relative paths") {
    for (const char* text : {"docs", "docs/2024", "a.b/c_d/E-f", "...", ".config"}) {
      CAPTURE(text);
      const auto path = validate_relative_subdir(text);
      REQUIRE_MESSAGE(path.has_value(), (path ? "" : path.error().message));
      CHECK(path->string() == text);
    }
  }

  TEST_CASE("validate_relative_subdir refuses escapes and odd syntax") {
    CHECK_REFUSED(validate_relative_subdir(""), "subdirectory \"\": must not be empty");
    CHECK_REFUSED(validate_relative_subdir("/docs"), "must be relative (must not start with '/')");
    CHECK_REFUSED(validate_relative_subdir("/"), "must be relative");
    CHECK_REFUSED(validate_relative_subdir(".."), "\"..\" components");
    CHECK_REFUSED(validate_relative_subdir("../x"), "\"..\" components");
    CHECK_REFUSED(validate_relative_subdir("a/../../x"), "\"..\" components");
    CHECK_REFUSED(validate_relative_subdir("."), "\".\" or \"..\" components");
    CHECK_REFUSED(validate_relative_subdir("./a"), "\".\" or \"..\" components");
    CHECK_REFUSED(validate_relative_subdir("a//b"), "empty components");
    CHECK_REFUSED(validate_relative_subdir("docs/"), "must not end with '/'");
    CHECK_REFUSED(validate_relative_subdir("C:"), "found ':' at position 2");
    CHECK_REFUSED(validate_relative_subdir("a:stream"), "found ':' at position 2");
    CHECK_REFUSED(validate_relative_subdir("a\\b"), "found '\\\\' at position 2");
    CHECK_REFUSED(validate_relative_subdir("..\\x"), "found '\\\\'");
    CHECK_REFUSED(validate_relative_subdir("--help"),
                  "components must not start with '-' (component 1 does)");
    CHECK_REFUSED(validate_relative_subdir(std::string(256, 'd')),
                  "at most 255 bytes (component 1 has 256)");
    for (const auto& text : test::hostile_inputs()) {
      CAPTURE(text);
      CHECK_REFUSED(validate_relative_subdir(text), "subdirectory");
    }
    CHECK_REFUSED(validate_relative_subdir("a\nb"), k_charset);
    CHECK_REFUSED(validate_relative_subdir(std::string_view("a\0b", 3)), "found '\\x00'");
  }

} // TEST_SUITE
