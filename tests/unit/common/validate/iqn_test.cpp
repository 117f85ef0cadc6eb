#include <string>

#include <doctest/doctest.h>

#include "common/validate/iqn.hpp"
#include "tests/unit/common/validate/expect.hpp"

using namespace sharectl;
using namespace sharectl::validate;

TEST_SUITE("validate") {

  TEST_CASE("validate_iqn accepts real-world IQNs") {
    for (const char* iqn :
         {"iqn.2024-01.com.example:storage1", "iqn.2024-01.com.example",
          "iqn.2003-01.org.linux-iscsi.host1.x8664:sn.4b1d2c3e5f60",
          "iqn.1994-05.com.redhat:5c4f2c1a2b", "iqn.1991-05.com.microsoft:win-abc123.corp.local",
          "iqn.2004-10.com.ubuntu:01:a1b2c3d4e5f6", "iqn.2024-12.x:y", "iqn.2024-01.example:a:b:c",
          "iqn.0000-01.a0"}) {
      CAPTURE(iqn);
      CHECK_ACCEPTED(validate_iqn(iqn));
    }
  }

  TEST_CASE("validate_iqn enforces the iqn.yyyy-mm. prefix") {
    const char* date = "\"iqn.\" must be followed by a date yyyy-mm and a '.'";
    CHECK_REFUSED(validate_iqn(""), "IQN \"\": must not be empty");
    CHECK_REFUSED(validate_iqn("eui.02004567A425678D"), "must start with \"iqn.\"");
    CHECK_REFUSED(validate_iqn("IQN.2024-01.com.example"), "must start with \"iqn.\"");
    CHECK_REFUSED(validate_iqn("iqn"), "must start with \"iqn.\"");
    CHECK_REFUSED(validate_iqn("iqn."), date);
    CHECK_REFUSED(validate_iqn("iqn.2024-01"), date);
    CHECK_REFUSED(validate_iqn("iqn.2024-1.com.x"), date);
    CHECK_REFUSED(validate_iqn("iqn.24-01.com.x"), date);
    CHECK_REFUSED(validate_iqn("iqn.2024_01.com.x"), date);
    CHECK_REFUSED(validate_iqn("iqn.2024-01:com.x"), date);
    CHECK_REFUSED(validate_iqn("iqn.2024-00.com.x"), "the month must be 01 to 12 (got 00)");
    CHECK_REFUSED(validate_iqn("iqn.2024-13.com.x"), "the month must be 01 to 12 (got 13)");
    CHECK_ACCEPTED(validate_iqn("iqn.2024-12.com.x"));
  }

  TEST_CASE("validate_iqn wants a reversed domain name as naming authority") {
    const char* charset =
        "the naming authority allows only lower-case letters, digits, '.' and '-'";
    CHECK_REFUSED(validate_iqn("iqn.2024-01."),
                  "the naming authority (a reversed domain name) must not be empty");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.:x"), "must not be empty");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.Com.example"), charset);
    CHECK_REFUSED(validate_iqn("iqn.2024-01.Com.example"),
                  "found 'C' at position 13; iSCSI names are lower-case)");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com_x"), "found '_' at position 16");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com..x"), "without empty labels");
    CHECK_REFUSED(validate_iqn("iqn.2024-01..com"), "without empty labels");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com."), "without empty labels");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.:x"), "without empty labels");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.-com.x"), "must not start or end with '-'");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com-.x"), "must not start or end with '-'");
  }

  TEST_CASE("validate_iqn restricts the name after ':' to RFC 3720 characters") {
    const char* charset =
        "the name after ':' allows only lower-case letters, digits, '.', '-' and ':'";
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:"), "the name after ':' must not be empty");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:Target"), charset);
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:Target"),
                  "found 'T' at position 19; iSCSI names are lower-case)");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:a b"), "found ' ' at position 20");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:a\nb"), "found '\\n' at position 20");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:a\rb"), "found '\\r'");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:a\tb"), "found '\\t'");
    CHECK_REFUSED(validate_iqn(std::string_view("iqn.2024-01.com.x:a\0b", 21)),
                  "found '\\x00' at position 20");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:a\\"), "found '\\\\'");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:a[0]"), "found '['");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:a%b"), "found '%'");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:a;b"), "found ';'");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:'a'"), "found '\\''");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:\"a\""), "found '\"'");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:$(rm -rf /)"), "found '$'");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:`reboot`"), "found '`'");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:../a"), "found '/'");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:a=b"), "found '='");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:a_b"), "found '_'");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.com.x:\xd0\xb0"),
                  "found non-ASCII byte 0xd0 at position 19");
    CHECK_REFUSED(validate_iqn("iqn.2024-01.\xd0\xb0.x"),
                  "found non-ASCII byte 0xd0 at position 13");
  }

  TEST_CASE("validate_iqn allows at most 223 bytes") {
    const std::string prefix = "iqn.2024-01.com.example:";
    const std::string longest = prefix + std::string(223 - prefix.size(), 'n');
    REQUIRE(longest.size() == 223);
    CHECK_ACCEPTED(validate_iqn(longest));
    CHECK_REFUSED(validate_iqn(longest + "n"), "at most 223 bytes are allowed (got 224)");
    CHECK_REFUSED(validate_iqn(std::string(256, 'i')), "(got 256)");
  }

} // TEST_SUITE
