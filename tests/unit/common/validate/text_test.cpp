#include <string>

#include <doctest/doctest.h>

#include "common/validate/text.hpp"
#include "tests/unit/common/validate/expect.hpp"

using namespace sharectl;
using namespace sharectl::validate;

TEST_SUITE("validate") {

  TEST_CASE("quote_for_message escapes everything but printable ASCII") {
    CHECK(quote_for_message("abc") == "\"abc\"");
    CHECK(quote_for_message("") == "\"\"");
    CHECK(quote_for_message("a\nb\rc\td") == "\"a\\nb\\rc\\td\"");
    CHECK(quote_for_message(std::string_view("a\0b", 3)) == "\"a\\x00b\"");
    CHECK(quote_for_message("a\"b\\c'd") == "\"a\\\"b\\\\c'd\"");
    CHECK(quote_for_message("\x1b[31m\x7f") == "\"\\x1b[31m\\x7f\"");
    CHECK(quote_for_message("Donn\xc3\xa9"
                            "es") == "\"Donn\\xc3\\xa9es\"");
    const std::string long_text(300, 'x');
    CHECK(quote_for_message(long_text) == "\"" + std::string(k_max_quoted_bytes, 'x') + "...\"");
    CHECK(quote_for_message(std::string(k_max_quoted_bytes, 'y')) ==
          "\"" + std::string(k_max_quoted_bytes, 'y') + "\"");
  }

  TEST_CASE("describe_byte names one byte safely") {
    CHECK(describe_byte(';') == "';'");
    CHECK(describe_byte('\n') == "'\\n'");
    CHECK(describe_byte('\0') == "'\\x00'");
    CHECK(describe_byte('\'') == "'\\''");
    CHECK(describe_byte('"') == "'\"'");
    CHECK(describe_byte('\\') == "'\\\\'");
    CHECK(describe_byte('\x7f') == "'\\x7f'");
    CHECK(describe_byte('\xd0') == "non-ASCII byte 0xd0");
  }

  TEST_CASE("is_valid_utf8 refuses malformed sequences") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain"));
    CHECK(is_valid_utf8("Donn\xc3\xa9"
                        "es"));
    CHECK(is_valid_utf8("\xe2\x82\xac"));     // U+20AC
    CHECK(is_valid_utf8("\xf0\x9f\x98\x80")); // U+1F600
    CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf")); // U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xff"));
    CHECK_FALSE(is_valid_utf8("\x80"));             // lone continuation
    CHECK_FALSE(is_valid_utf8("\xc3"));             // truncated
    CHECK_FALSE(is_valid_utf8("\xe2\x82"));         // truncated
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));     // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate U+D800
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // U+110000
    CHECK_FALSE(is_valid_utf8("\xc3("));            // bad continuation
  }

  TEST_CASE("comments accept ordinary text, including non-ASCII UTF-8") {
    for (const char* comment :
         {"", "Team documents",
          "Donn\xc3\xa9"
          "es partag\xc3\xa9"
          "es",
          "Bob's files", "say \"hi\"", "a;b", "a#b", "cost: $(rm -rf /) `reboot`", "../up",
          "[x] {y}", "a=b", "x", "\xe2\x82\xac 100"}) {
      CAPTURE(comment);
      CHECK_ACCEPTED(validate_comment(comment));
    }
    CHECK_ACCEPTED(validate_comment(std::string(k_max_comment_bytes, 'c')));
  }

  TEST_CASE("comments refuse control characters") {
    CHECK_REFUSED(validate_comment("a\nb"),
                  "control characters are not allowed (found '\\n' at position 2)");
    CHECK_REFUSED(validate_comment("a\rb"), "found '\\r' at position 2");
    CHECK_REFUSED(validate_comment("a\tb"), "found '\\t' at position 2");
    CHECK_REFUSED(validate_comment(std::string_view("a\0b", 3)), "found '\\x00' at position 2");
    CHECK_REFUSED(validate_comment("a\x7f"), "found '\\x7f' at position 2");
    CHECK_REFUSED(validate_comment("\x1b[2J"), "found '\\x1b' at position 1");
    CHECK_REFUSED(validate_comment("a\xc2\x85"), "control character U+0085 at position 2");
  }

  TEST_CASE("comments refuse Samba and smb.conf syntax") {
    CHECK_REFUSED(validate_comment("100%"),
                  "'%' is not allowed (Samba substitution; found at position 4)");
    CHECK_REFUSED(validate_comment("%U's files"), "'%' is not allowed");
    CHECK_REFUSED(validate_comment("a\\b"),
                  "'\\' is not allowed (smb.conf line continuation; found at position 2)");
    CHECK_REFUSED(validate_comment("trailing\\"), "'\\' is not allowed");
    CHECK_REFUSED(validate_comment(";x"), "must not start with ';' or '#'");
    CHECK_REFUSED(validate_comment("#x"), "must not start with ';' or '#'");
    CHECK_REFUSED(validate_comment(" x"), "must not start or end with a space");
    CHECK_REFUSED(validate_comment("x "), "must not start or end with a space");
    CHECK_REFUSED(validate_comment(" "), "must not start or end with a space");
  }

  TEST_CASE("comments refuse invalid UTF-8 and more than 256 bytes") {
    CHECK_REFUSED(validate_comment("ab\xff"),
                  "must be valid UTF-8 (found invalid non-ASCII byte 0xff at position 3)");
    CHECK_REFUSED(validate_comment("\xc0\xaf"), "must be valid UTF-8");
    CHECK_REFUSED(validate_comment("Donn\xc3"), "must be valid UTF-8");
    CHECK_REFUSED(validate_comment(std::string(k_max_comment_bytes + 1, 'c')),
                  "at most 256 bytes are allowed (got 257)");
    // 128 two-byte characters are 256 bytes: accepted; one more is refused.
    std::string accents;
    for (int i = 0; i < 128; ++i) {
      accents += "\xc3\xa9";
    }
    CHECK_ACCEPTED(validate_comment(accents));
    CHECK_REFUSED(validate_comment(accents + "e"), "at most 256 bytes");
  }

} // TEST_SUITE
