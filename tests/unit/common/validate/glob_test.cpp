#include <chrono>
#include <string>

#include <doctest/doctest.h>

#include "common/validate/glob.hpp"
#include "tests/unit/common/validate/expect.hpp"

using namespace sharectl;
using namespace sharectl::validate;

TEST_SUITE("validate") {

  TEST_CASE("validate_glob accepts names, '/', '*', '**' and '?'") {
    for (const char* glob :
         {"**", "*", "?", "spaces/alice/*", "spaces/*/docs", "spaces/**", "servers/storage?",
          "a.b_c-d", "iscsi/iqn.2024-01.com.x:t1", "**/x/**"}) {
      CAPTURE(glob);
      CHECK_ACCEPTED(validate_glob(glob));
    }
    CHECK_ACCEPTED(validate_glob(std::string(256, 'g')));
  }

  TEST_CASE("validate_glob refuses other glob dialects' metacharacters") {
    const char* hint = "the only wildcards are '*', '**' and '?'";
    CHECK_REFUSED(validate_glob("spaces/[ab]"), hint);
    CHECK_REFUSED(validate_glob("spaces/[ab]"), "found '[' at position 8");
    CHECK_REFUSED(validate_glob("spaces/a]"), "found ']' at position 9");
    CHECK_REFUSED(validate_glob("{a,b}"), "found '{' at position 1");
    CHECK_REFUSED(validate_glob("a}"), hint);
    CHECK_REFUSED(validate_glob("!a"), "found '!' at position 1");
    CHECK_REFUSED(validate_glob("a\\*"), "found '\\\\' at position 2");
    CHECK_REFUSED(validate_glob("a\\"), hint);
  }

  TEST_CASE("validate_glob refuses '***', empty and over-long globs") {
    CHECK_REFUSED(validate_glob("***"),
                  "'***' is not allowed, use '*' or '**' (found at position 1)");
    CHECK_REFUSED(validate_glob("a/****"), "'***' is not allowed");
    CHECK_REFUSED(validate_glob(""), "glob \"\": must not be empty");
    CHECK_REFUSED(validate_glob(std::string(257, 'g')),
                  "at most 256 characters are allowed (got 257)");
  }

  TEST_CASE("validate_glob refuses whitespace, controls, non-ASCII and shell syntax") {
    const char* charset = "only letters, digits, '.', '_', '-', ':', '/', '*' and '?' are allowed";
    for (const auto& glob : test::hostile_inputs()) {
      CAPTURE(glob);
      if (glob == "../etc") {
        // Harmless: a glob is only ever matched against resource names, never a filesystem.
        CHECK_ACCEPTED(validate_glob(glob));
        CHECK_FALSE(glob_match(glob, "spaces/etc"));
      } else {
        CHECK_REFUSED(validate_glob(glob), "glob ");
      }
    }
    CHECK_REFUSED(validate_glob("a b"), charset);
    CHECK_REFUSED(validate_glob("a b"), "found ' ' at position 2");
    CHECK_REFUSED(validate_glob("a\nb"), "found '\\n' at position 2");
    CHECK_REFUSED(validate_glob("a\rb"), "found '\\r'");
    CHECK_REFUSED(validate_glob("a\tb"), "found '\\t'");
    CHECK_REFUSED(validate_glob(std::string_view("a\0b", 3)), "found '\\x00' at position 2");
    CHECK_REFUSED(validate_glob("a%b"), "found '%'");
    CHECK_REFUSED(validate_glob("a;b"), "found ';'");
    CHECK_REFUSED(validate_glob("'*'"), "found '\\''");
    CHECK_REFUSED(validate_glob("\"*\""), "found '\"'");
    CHECK_REFUSED(validate_glob("$(rm -rf /)"), "found '$' at position 1");
    CHECK_REFUSED(validate_glob("`x`"), "found '`'");
    CHECK_REFUSED(validate_glob("spaces/\xd0\xb0"
                                "lice"),
                  "found non-ASCII byte 0xd0 at position 8");
  }

  TEST_CASE("glob_match: '*' stays within a component") {
    CHECK(glob_match("spaces/alice/*", "spaces/alice/docs"));
    CHECK(glob_match("spaces/alice/*", "spaces/alice/"));
    CHECK_FALSE(glob_match("spaces/alice/*", "spaces/alice/docs/x"));
    CHECK_FALSE(glob_match("spaces/alice/*", "spaces/alice"));
    CHECK(glob_match("spaces/*/docs", "spaces/bob/docs"));
    CHECK_FALSE(glob_match("spaces/*/docs", "spaces/bob/x/docs"));
    CHECK(glob_match("*", "anything"));
    CHECK(glob_match("*", ""));
    CHECK_FALSE(glob_match("*", "a/b"));
    CHECK(glob_match("a*b*c", "aXXbYYc"));
    CHECK(glob_match("a*b", "ab"));
    CHECK_FALSE(glob_match("a*b", "a/b"));
    CHECK(glob_match("*.txt", "notes.txt"));
    CHECK_FALSE(glob_match("*.txt", "notes.txt.bak"));
  }

  TEST_CASE("glob_match: '**' crosses '/'") {
    CHECK(glob_match("**", ""));
    CHECK(glob_match("**", "a/b/c"));
    CHECK(glob_match("spaces/**", "spaces/alice/docs/x"));
    CHECK(glob_match("spaces/**", "spaces/"));
    CHECK_FALSE(glob_match("spaces/**", "spaces"));
    CHECK_FALSE(glob_match("spaces/**", "shares/x"));
    CHECK(glob_match("**/docs", "spaces/alice/docs"));
    CHECK(glob_match("**/docs", "/docs"));
    CHECK_FALSE(glob_match("**/docs", "docs"));
    CHECK(glob_match("a/**/z", "a/b/c/z"));
    CHECK(glob_match("a/**/z", "a//z"));
    CHECK_FALSE(glob_match("a/**/z", "a/z"));
    CHECK(glob_match("**a*", "x/y/za"));
    CHECK_FALSE(glob_match("**/*a", "x/y/a/b"));
    CHECK(glob_match("*/**", "x/"));
    CHECK_FALSE(glob_match("*/**", "x"));
  }

  TEST_CASE("glob_match: '?' is one character other than '/'") {
    CHECK(glob_match("servers/storage?", "servers/storage1"));
    CHECK_FALSE(glob_match("servers/storage?", "servers/storage"));
    CHECK_FALSE(glob_match("servers/storage?", "servers/storage12"));
    CHECK_FALSE(glob_match("a?b", "a/b"));
    CHECK(glob_match("???", "abc"));
    CHECK(glob_match("?*", "a"));
    CHECK_FALSE(glob_match("?*", ""));
  }

  TEST_CASE("glob_match: literals are exact and case-sensitive") {
    CHECK(glob_match("", ""));
    CHECK_FALSE(glob_match("", "a"));
    CHECK_FALSE(glob_match("a", ""));
    CHECK(glob_match("spaces/alice", "spaces/alice"));
    CHECK_FALSE(glob_match("spaces/alice", "spaces/Alice"));
    CHECK_FALSE(glob_match("spaces/alice", "spaces/alice2"));
    CHECK_FALSE(glob_match("spaces/alice", "spaces/alic"));
  }

  TEST_CASE("glob_match has no exponential backtracking") {
    const std::string as(200, 'a');
    const std::string deep = [] {
      std::string s;
      for (int i = 0; i < 100; ++i) {
        s += "a/";
      }
      return s + "a";
    }();
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", as));
    CHECK(glob_match("*a*a*a*a*a*a*a*a*a", as));
    CHECK_FALSE(glob_match("**a**a**a**a**a**a**a**a**b", as));
    CHECK_FALSE(glob_match("**a**a**a**a**a**a**a**a**b", deep));
    CHECK(glob_match("**a**a**a**a**a**a**a**a**a", deep));
    CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*a", deep));
    std::string long_glob;
    for (int i = 0; i < 60; ++i) {
      long_glob += "*a";
    }
    CHECK_FALSE(glob_match(long_glob + "b", std::string(10000, 'a')));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(elapsed < std::chrono::seconds(1));
  }

} // TEST_SUITE
