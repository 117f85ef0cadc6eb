#include <doctest/doctest.h>

#include "common/config/duration.hpp"

using namespace sharectl;
using namespace sharectl::config;
using std::chrono::seconds;

TEST_SUITE("config") {

  TEST_CASE("parse_duration reads s, m, h and d") {
    CHECK(parse_duration("30s") == seconds(30));
    CHECK(parse_duration("15m") == seconds(15 * 60));
    CHECK(parse_duration("12h") == seconds(12 * 3600));
    CHECK(parse_duration("7d") == seconds(7 * 86400));
    CHECK(parse_duration("90d") == seconds(90 * 86400));
    CHECK(parse_duration("1s") == seconds(1));
    CHECK(parse_duration("36500d") == k_max_duration);
    CHECK(parse_duration("3153600000s") == k_max_duration);
  }

  TEST_CASE("parse_duration refuses what is not a positive whole duration") {
    struct Bad {
      const char* text;
      const char* why;
    };
    const Bad bad[] = {
        {"", "empty"},
        {"7", "unit (s, m, h or d) is missing"},
        {"-1d", "positive"},
        {"+1d", "whole number"},
        {"1.5h", "fractions"},
        {"1,5h", "fractions"},
        {"99999999999999999999d", "100 years"},
        {"99999999999999999999999999999999999999s", "100 years"},
        {"36501d", "100 years"},
        {"3153600001s", "100 years"},
        {"7 d", "space"},
        {" 7d", "whole number"},
        {"7d ", "unit must be"},
        {"0s", "positive"},
        {"0d", "positive"},
        {"07d", "leading zeros"},
        {"d", "whole number"},
        {"7D", "unit must be"},
        {"7w", "unit must be"},
        {"7ms", "unit must be"},
        {"1h30m", "unit must be"},
        {"0x10s", "unit must be"},
    };
    for (const auto& b : bad) {
      CAPTURE(b.text);
      auto parsed = parse_duration(b.text);
      REQUIRE_FALSE(parsed.has_value());
      CHECK(parsed.error().code == ErrorCode::bad_request);
      CHECK(parsed.error().message.find(b.why) != std::string::npos);
      CHECK(parsed.error().message.find("e.g. \"30s\"") != std::string::npos);
    }
    CHECK(parse_duration("7").error().message ==
          "invalid duration \"7\": a unit (s, m, h or d) is missing; e.g. \"30s\", \"15m\", "
          "\"12h\" or \"7d\"");
  }

  TEST_CASE("format_duration picks the largest exact unit and round-trips") {
    CHECK(format_duration(seconds(7 * 86400)) == "7d");
    CHECK(format_duration(seconds(36 * 3600)) == "36h");
    CHECK(format_duration(seconds(90)) == "90s");
    CHECK(format_duration(seconds(60)) == "1m");
    CHECK(format_duration(seconds(0)) == "0s");
    for (const auto value : {1LL, 59LL, 60LL, 61LL, 3600LL, 86399LL, 86400LL, 90LL * 86400}) {
      CHECK(parse_duration(format_duration(seconds(value))) == seconds(value));
    }
  }

} // TEST_SUITE
