#include <string>

#include <doctest/doctest.h>

#include "common/validate/names.hpp"
#include "tests/unit/common/validate/expect.hpp"

using namespace sharectl;
using namespace sharectl::validate;

namespace {
// "a" followed by `length - 1` 'x's.
std::string name_of_length(std::size_t length) {
  return "a" + std::string(length - 1, 'x');
}
} // namespace

TEST_SUITE("validate") {

  TEST_CASE("usernames follow ^[a-z_][a-z0-9._-]{0,31}$") {
    for (const char* name : {"alice", "_svc", "a", "a0", "a.b_c-d", "bob-2", "_", "x..y"}) {
      CAPTURE(name);
      CHECK_ACCEPTED(validate_username(name));
    }
    CHECK_ACCEPTED(validate_username(name_of_length(32)));

    CHECK_REFUSED(validate_username(""), "username \"\": must not be empty");
    CHECK_REFUSED(validate_username(name_of_length(33)),
                  "at most 32 characters are allowed (got 33)");
    CHECK_REFUSED(validate_username(name_of_length(256)), "(got 256)");
    CHECK_REFUSED(validate_username("Alice"), "only lower-case letters, digits, '.', '_' and '-'");
    CHECK_REFUSED(validate_username("Alice"), "found 'A' at position 1");
    CHECK_REFUSED(validate_username("0abc"),
                  "must start with a lower-case letter or '_' (found '0')");
    CHECK_REFUSED(validate_username("-abc"), "must start with a lower-case letter or '_'");
    CHECK_REFUSED(validate_username(".abc"), "must start with a lower-case letter or '_'");
    CHECK_REFUSED(validate_username("root$"), "found '$' at position 5");
    CHECK_REFUSED(validate_username("a@b"), "found '@'");
    CHECK_REFUSED(validate_username("a/b"), "found '/'");
  }

  TEST_CASE("usernames refuse hostile input with the character escaped") {
    for (const auto& name : test::hostile_inputs()) {
      CAPTURE(name);
      CHECK_REFUSED(validate_username(name), "only lower-case letters");
    }
    CHECK_REFUSED(validate_username("a\nb"), "found '\\n' at position 2");
    CHECK_REFUSED(validate_username("a\rb"), "found '\\r' at position 2");
    CHECK_REFUSED(validate_username(std::string_view("a\0b", 3)), "found '\\x00' at position 2");
    CHECK_REFUSED(validate_username(std::string_view("a\0b", 3)), "\"a\\x00b\"");
    CHECK_REFUSED(validate_username("a\\"), "found '\\\\' at position 2");
    CHECK_REFUSED(validate_username("a'b"), "found '\\'' at position 2");
    CHECK_REFUSED(validate_username("a\"b"), "username \"a\\\"b\"");
    CHECK_REFUSED(validate_username("$(rm -rf /)"), "found '$' at position 1");
    CHECK_REFUSED(validate_username("`reboot`"), "found '`' at position 1");
    CHECK_REFUSED(validate_username("../etc"), "found '/' at position 3");
    CHECK_REFUSED(validate_username("\xd0\xb0"
                                    "dmin"),
                  "found non-ASCII byte 0xd0 at position 1");
    CHECK_REFUSED(validate_username("\xd0\xb0"
                                    "dmin"),
                  "\"\\xd0\\xb0dmin\"");
  }

  TEST_CASE("group and role names are usernames up to 64 characters") {
    for (auto* validate : {&validate_group_name, &validate_role_name}) {
      CHECK_ACCEPTED(validate("storage-admins"));
      CHECK_ACCEPTED(validate("_x.y"));
      CHECK_ACCEPTED(validate(name_of_length(64)));
      CHECK_REFUSED(validate(name_of_length(65)), "at most 64 characters are allowed (got 65)");
      CHECK_REFUSED(validate(""), "must not be empty");
      CHECK_REFUSED(validate("Admins"), "found 'A' at position 1");
      CHECK_REFUSED(validate("9lives"), "must start with a lower-case letter or '_'");
      for (const auto& name : test::hostile_inputs()) {
        CAPTURE(name);
        CHECK_REFUSED(validate(name),
                      "only lower-case letters, digits, '.', '_' and '-' are allowed");
      }
    }
    CHECK_REFUSED(validate_group_name("A"), "group name \"A\"");
    CHECK_REFUSED(validate_role_name("A"), "role name \"A\"");
  }

  TEST_CASE("space names follow ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$") {
    for (const char* name : {"Projects", "0day", "a.b_c-D", "x", "9", "A..b"}) {
      CAPTURE(name);
      CHECK_ACCEPTED(validate_space_name(name));
    }
    CHECK_ACCEPTED(validate_space_name(name_of_length(64)));
    CHECK_REFUSED(validate_space_name(name_of_length(65)), "at most 64 characters are allowed");
    CHECK_REFUSED(validate_space_name(""), "space name \"\": must not be empty");
    CHECK_REFUSED(validate_space_name("_x"), "must start with a letter or a digit (found '_')");
    CHECK_REFUSED(validate_space_name("-x"), "must start with a letter or a digit (found '-')");
    CHECK_REFUSED(validate_space_name(".hidden"), "must start with a letter or a digit");
    CHECK_REFUSED(validate_space_name(".."), "must start with a letter or a digit");
    CHECK_REFUSED(validate_space_name("a/b"), "found '/' at position 2");
    for (const auto& name : test::hostile_inputs()) {
      CAPTURE(name);
      CHECK_REFUSED(validate_space_name(name),
                    "only letters, digits, '.', '_' and '-' are allowed");
    }
  }

  TEST_CASE("share names follow ^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$") {
    for (const char* name : {"Projects", "0day", "a.b_c-D", "globals", "global1", "my-homes"}) {
      CAPTURE(name);
      CHECK_ACCEPTED(validate_share_name(name));
    }
    CHECK_ACCEPTED(validate_share_name(name_of_length(80)));
    CHECK_REFUSED(validate_share_name(name_of_length(81)),
                  "at most 80 characters are allowed (got 81)");
    CHECK_REFUSED(validate_share_name(""), "must not be empty");
    CHECK_REFUSED(validate_share_name("_x"), "must start with a letter or a digit");
    CHECK_REFUSED(validate_share_name("ipc$"), "found '$' at position 4");
    CHECK(validate_share_name("a;b").error().message ==
          "share name \"a;b\": only letters, digits, '.', '_' and '-' are allowed (found ';' at "
          "position 2)");
    for (const auto& name : test::hostile_inputs()) {
      CAPTURE(name);
      CHECK_REFUSED(validate_share_name(name),
                    "only letters, digits, '.', '_' and '-' are allowed");
    }
  }

  TEST_CASE("share names global, homes and printers are reserved in any letter case") {
    for (const char* name :
         {"global", "GLOBAL", "Global", "homes", "HOMES", "printers", "PrInTeRs"}) {
      CAPTURE(name);
      CHECK_REFUSED(validate_share_name(name), "is reserved by Samba");
    }
    CHECK_REFUSED(validate_share_name("GLOBAL"), "\"global\" is reserved");
    // A fullwidth look-alike is refused as non-ASCII, not slipped past the reserved list.
    CHECK_REFUSED(validate_share_name("\xef\xbd\x87"
                                      "lobal"),
                  "non-ASCII byte 0xef at position 1");
    CHECK_REFUSED(validate_share_name("h\xd0\xbemes"), "non-ASCII byte 0xd0 at position 2");
  }

  TEST_CASE("fold_share_name lower-cases ASCII letters only") {
    CHECK(fold_share_name("MyShare-2.X_y") == "myshare-2.x_y");
    CHECK(fold_share_name("") == "");
    CHECK(fold_share_name("GLOBAL") == "global");
    CHECK(fold_share_name("\xc3\x89t\xc3\xa9") == "\xc3\x89t\xc3\xa9"); // bytes >= 0x80 untouched
    CHECK(fold_share_name("Data") == fold_share_name("dATA"));
  }

} // TEST_SUITE
