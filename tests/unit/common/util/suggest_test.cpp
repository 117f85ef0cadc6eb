#include <optional>
#include <string>

#include <doctest/doctest.h>

#include "common/util/suggest.hpp"

using namespace sharectl;

TEST_SUITE("util") {

  TEST_CASE("edit_distance and closest_match") {
    CHECK(edit_distance("include", "include") == 0);
    CHECK(edit_distance("inclde", "include") == 1);
    CHECK(edit_distance("inlcude", "include") == 1); // adjacent swap
    CHECK(edit_distance("TLS", "tls") == 0);
    CHECK(edit_distance("", "abc") == 3);
    const std::string names[] = {"config", "include", "accounts"};
    CHECK(closest_match("inclde", names) == std::optional<std::string>("include"));
    CHECK(closest_match("acounts", names) == std::optional<std::string>("accounts"));
    CHECK(closest_match("zzz", names) == std::nullopt);
    const std::string short_names[] = {"ab"};
    CHECK(closest_match("xy", short_names) == std::nullopt);
  }

} // TEST_SUITE
