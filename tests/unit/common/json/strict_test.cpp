#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/json/strict.hpp"
#include "common/validate/text.hpp"

using namespace sharectl;
using sharectl::json::ObjectReader;
using sharectl::json::parse_strict;
using sharectl::json::parse_strict_value;

namespace {

// The error message of a parse that must fail with bad_request.
std::string refusal(std::string_view body) {
  auto parsed = parse_strict(body);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ErrorCode::bad_request);
  // Messages go into JSON error bodies and terminals: always valid UTF-8, no raw controls.
  CHECK(validate::is_valid_utf8(parsed.error().message));
  return parsed.error().message;
}

// `depth` nested objects {"a":{"a":…1…}}.
std::string nested_objects(std::size_t depth) {
  std::string out;
  for (std::size_t i = 0; i < depth; ++i) {
    out += "{\"a\":";
  }
  out += "1";
  out.append(depth, '}');
  return out;
}

} // namespace

TEST_SUITE("json") {

  TEST_CASE("parse_strict accepts a plain object and keeps every value") {
    auto parsed = parse_strict(R"({"name":"projects","size":21474836480,"neg":-3,"f":1.5,)"
                               R"("ok":true,"no":null,"list":["a",{"b":[]}],"obj":{}})");
    REQUIRE(parsed.has_value());
    const nlohmann::json& j = *parsed;
    CHECK(j["name"] == "projects");
    CHECK(j["size"].get<std::uint64_t>() == 21474836480ULL);
    CHECK(j["neg"].get<int>() == -3);
    CHECK(j["f"].get<double>() == 1.5);
    CHECK(j["ok"] == true);
    CHECK(j["no"].is_null());
    CHECK(j["list"][1]["b"].is_array());
    CHECK(j["obj"].is_object());
    CHECK(j.size() == 8);
  }

  TEST_CASE("parse_strict allows surrounding whitespace") {
    CHECK(parse_strict(" \r\n\t{}\n ").has_value());
  }

  TEST_CASE("duplicate keys are refused at every depth with a JSON pointer") {
    CHECK(refusal(R"({"a":1,"a":2})") == R"(duplicate key "a" in the top-level object)");
    CHECK(refusal(R"({"spec":{"name":"x","name":"y"}})") ==
          R"(duplicate key "name" in object at /spec)");
    CHECK(refusal(R"({"l":[{},{"x":1,"y":2,"x":1}]})") == R"(duplicate key "x" in object at /l/1)");
    CHECK(refusal(R"({"a/b":{"m~n":{"c":1,"c":1}}})") ==
          R"(duplicate key "c" in object at /a~1b/m~0n)");
    // A duplicate whose first value was a container.
    CHECK(refusal(R"({"a":{"b":[1]},"a":{}})") == R"(duplicate key "a" in the top-level object)");
    // Escapes are decoded before comparing: "\u0061" is "a".
    CHECK(refusal(R"({"a":1,"\u0061":2})") == R"(duplicate key "a" in the top-level object)");
  }

  TEST_CASE("the same key in different objects is fine") {
    auto parsed = parse_strict(R"({"a":{"a":1},"b":{"a":2},"c":[{"a":1},{"a":2}]})");
    REQUIRE(parsed.has_value());
    CHECK((*parsed)["c"][1]["a"] == 2);
  }

  TEST_CASE("nesting: 32 levels are accepted, 33 refused") {
    auto ok = parse_strict(nested_objects(32));
    REQUIRE(ok.has_value());
    const std::string message = refusal(nested_objects(33));
    CHECK(message.find("nesting deeper than 32") != std::string::npos);
    CHECK(message.find("/a/a/a") != std::string::npos);

    // Arrays count too.
    std::string arrays = "{\"x\":" + std::string(31, '[') + std::string(31, ']') + "}";
    CHECK(parse_strict(arrays).has_value());
    arrays = "{\"x\":" + std::string(32, '[') + std::string(32, ']') + "}";
    CHECK(refusal(arrays).find("nesting deeper than 32") != std::string::npos);

    // Very deep input fails cleanly (no recursion in the parser or the builder).
    CHECK(refusal(std::string(100000, '[')).find("nesting deeper than 32") != std::string::npos);
    auto deep = parse_strict_value(std::string(100000, '['));
    REQUIRE_FALSE(deep.has_value());
    CHECK(deep.error().message.find("nesting deeper than 32 levels at /0/0") == 0);
  }

  TEST_CASE("ParseLimits changes the depth and size limits") {
    json::ParseLimits limits;
    limits.max_depth = 2;
    CHECK(parse_strict(R"({"a":{"b":1}})", limits).has_value());
    auto refused = parse_strict(R"({"a":{"b":[]}})", limits);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message == "nesting deeper than 2 levels at /a/b");

    limits = {};
    limits.max_bytes = 10;
    CHECK(parse_strict(R"({"a":"12"})", limits).has_value()); // exactly 10 bytes
    auto big = parse_strict(R"({"a":"123"})", limits);
    REQUIRE_FALSE(big.has_value());
    CHECK(big.error().code == ErrorCode::payload_too_large);
  }

  TEST_CASE("the default size limit is 1 MiB") {
    CHECK(json::k_max_body_bytes == 1048576);
    std::string body = "{\"a\":\"" + std::string(json::k_max_body_bytes - 8, 'x') + "\"}";
    CHECK(body.size() == json::k_max_body_bytes);
    CHECK(parse_strict(body).has_value());
    body.insert(6, "y");
    auto big = parse_strict(body);
    REQUIRE_FALSE(big.has_value());
    CHECK(big.error().code == ErrorCode::payload_too_large);
  }

  TEST_CASE("valid UTF-8 and escapes are accepted") {
    auto parsed = parse_strict("{\"n\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
                               "\"e\":\"\\u00e9\\ud83d\\ude00\",\"k\xc3\xa9y\":1}");
    REQUIRE(parsed.has_value());
    CHECK((*parsed)["n"] == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    CHECK((*parsed)["e"] == "\xc3\xa9\xf0\x9f\x98\x80");
    CHECK((*parsed).contains("k\xc3\xa9y"));
  }

  TEST_CASE("invalid UTF-8 is refused") {
    const char* const bodies[] = {
        "{\"a\":\"\xff\"}",             // raw 0xFF
        "{\"a\":\"\xfe\"}",             // raw 0xFE
        "{\"a\":\"\xc0\xaf\"}",         // overlong '/'
        "{\"a\":\"\xc1\xbf\"}",         // overlong
        "{\"a\":\"\xe0\x80\xaf\"}",     // overlong 3-byte
        "{\"a\":\"\xf0\x80\x80\xaf\"}", // overlong 4-byte
        "{\"a\":\"\xed\xa0\x80\"}",     // encoded surrogate U+D800
        "{\"a\":\"\xf4\x90\x80\x80\"}", // above U+10FFFF
        "{\"a\":\"\xe2\x82\"}",         // truncated sequence
        "{\"a\":\"\x80\"}",             // lone continuation byte
        "{\"\xff\":1}",                 // in a key
        "{\"a\":1}\xff",                // after the value
        "\xff{}",                       // before it
        "{\"a\":\"\\ud800\"}",          // lone high surrogate escape
        "{\"a\":\"\\ud800x\"}",         // high surrogate followed by a letter
        "{\"a\":\"\\ud800\\u0041\"}",   // high surrogate followed by a non-surrogate escape
        "{\"a\":\"\\udc00\"}",          // lone low surrogate escape
        "{\"a\":\"\\udfff\\ud800\"}",   // reversed pair
    };
    for (const char* body : bodies) {
      CAPTURE(validate::quote_for_message(body));
      const std::string message = refusal(body);
      CHECK(message.find("invalid JSON") == 0);
    }
  }

  TEST_CASE("syntax errors, trailing data and non-JSON extensions are refused") {
    const char* const bodies[] = {
        "{} x",          "{}{}",         "{},",        "{\"a\":1,}",       "{\"a\" 1}",
        "{'a':1}",       "{a:1}",        "{\"a\":01}", "{\"a\":NaN}",      "{\"a\":Infinity}",
        "{\"a\":1e999}", "{/*c*/}",      "{} // c",    "{\"a\":\"\x01\"}", "{\"a\":\"\\x41\"}",
        "{\"a\":tru}",   "{\"a\":[1,]}", "{",
    };
    for (const char* body : bodies) {
      CAPTURE(body);
      CHECK(refusal(body).find("invalid JSON") == 0);
    }
    CHECK(refusal("{\"a\":1} x").find("expected end of input") != std::string::npos);
  }

  TEST_CASE("a syntax error names where it happened") {
    const std::string message = refusal(R"({"spec":{"name":tru}})");
    CHECK(message.find("line 1, column") != std::string::npos);
    CHECK(message.find("(near /spec/name)") != std::string::npos);
    // nlohmann's own prefix is removed.
    CHECK(message.find("[json.exception") == std::string::npos);
  }

  TEST_CASE("empty bodies and non-objects are refused") {
    CHECK(refusal("") == "request body is empty; expected JSON");
    CHECK(refusal("  \n") == "request body is empty; expected JSON");
    CHECK(refusal("[]") == "request body must be a JSON object, got array");
    CHECK(refusal("\"x\"") == "request body must be a JSON object, got string");
    CHECK(refusal("null") == "request body must be a JSON object, got null");
    CHECK(refusal("3") == "request body must be a JSON object, got number");
  }

  TEST_CASE("parse_strict_value takes any top-level value under the same rules") {
    auto list = parse_strict_value(R"([{"a":1},{"a":2}])");
    REQUIRE(list.has_value());
    CHECK(list->size() == 2);
    CHECK(parse_strict_value("42").has_value());
    auto dup = parse_strict_value(R"([{"a":1,"a":1}])");
    REQUIRE_FALSE(dup.has_value());
    CHECK(dup.error().message == R"(duplicate key "a" in object at /0)");
    CHECK_FALSE(parse_strict_value("[1] 2").has_value());
  }

  TEST_CASE("pointer_token escapes ~ and /") {
    CHECK(json::pointer_token("a/b~c") == "a~1b~0c");
    CHECK(json::pointer_token("") == "");
  }

  TEST_CASE("ObjectReader reads typed fields and finish accepts a fully read object") {
    auto body = parse_strict(R"({"username":"alice","size":20,"admin":true,"tags":["x","y"],)"
                             R"("priority":-5,"options":{"read_only":false}})");
    REQUIRE(body.has_value());
    ObjectReader reader(*body);
    CHECK(reader.required_string("username") == "alice");
    CHECK(reader.optional_string("email").value() == std::optional<std::string>());
    CHECK(reader.required_uint64("size") == 20u);
    CHECK(reader.optional_uint64("missing").value() == std::optional<std::uint64_t>());
    CHECK(reader.optional_bool("admin").value() == std::optional<bool>(true));
    CHECK(reader.optional_int64("priority").value() == std::optional<std::int64_t>(-5));
    auto tags = reader.optional_string_list("tags");
    REQUIRE(tags.has_value());
    CHECK(**tags == std::vector<std::string>{"x", "y"});
    auto options = reader.optional_object("options");
    REQUIRE(options.has_value());
    REQUIRE(options->has_value());
    CHECK((*options)->required_bool("read_only") == false);
    CHECK((*options)->finish().has_value());
    CHECK(reader.finish().has_value());
  }

  TEST_CASE("ObjectReader refuses wrong types naming the field and both types") {
    auto body = parse_strict(
        R"({"size":"20G","name":5,"flag":"yes","list":"a","items":[1],"opt":[],"nul":null,)"
        R"("neg":-1,"frac":1.5,"huge":18446744073709551616,"max":18446744073709551615,)"
        R"("i64":9223372036854775808,"nulchar":"a\u0000b"})");
    REQUIRE(body.has_value());
    ObjectReader reader(*body);
    CHECK(reader.optional_uint64("size").error().message ==
          R"(field "size" must be a number, got string)");
    CHECK(reader.required_string("name").error().message ==
          R"(field "name" must be a string, got number)");
    CHECK(reader.optional_bool("flag").error().message ==
          R"(field "flag" must be true or false, got string)");
    CHECK(reader.optional_string_list("list").error().message ==
          R"(field "list" must be an array of strings, got string)");
    CHECK(reader.optional_string_list("items").error().message ==
          R"(field "items/0" must be a string, got number)");
    CHECK(reader.optional_object("opt").error().message ==
          R"(field "opt" must be an object, got array)");
    CHECK(reader.optional_string("nul").error().message ==
          R"(field "nul" must be a string, got null)");
    CHECK(reader.optional_uint64("neg").error().message ==
          R"(field "neg" must be a whole number from 0 to 18446744073709551615, got -1)");
    CHECK(reader.optional_uint64("frac").error().code == ErrorCode::bad_request);
    CHECK(reader.optional_uint64("huge").error().code == ErrorCode::bad_request);
    CHECK(reader.optional_uint64("max").value() ==
          std::optional<std::uint64_t>(18446744073709551615ULL));
    CHECK(reader.optional_int64("i64").error().code == ErrorCode::bad_request);
    CHECK(reader.optional_int64("frac").error().code == ErrorCode::bad_request);
    CHECK(reader.optional_string("nulchar").error().message ==
          R"(field "nulchar" must not contain NUL characters)");
  }

  TEST_CASE("ObjectReader reports missing required fields") {
    auto body = parse_strict("{}");
    REQUIRE(body.has_value());
    ObjectReader reader(*body);
    CHECK(reader.required_string("username").error().message ==
          R"(missing required field "username")");
    CHECK(reader.required_bool("b").error().code == ErrorCode::bad_request);
    CHECK(reader.required_uint64("n").error().code == ErrorCode::bad_request);
    CHECK(reader.required_object("o").error().message == R"(missing required field "o")");
    CHECK(reader.finish().has_value());
  }

  TEST_CASE("finish refuses unknown fields, suggests a close name and lists the accepted ones") {
    auto body = parse_strict(R"({"name":"p","sise":"20G"})");
    REQUIRE(body.has_value());
    ObjectReader reader(*body);
    CHECK(reader.required_string("name").has_value());
    CHECK(reader.optional_string("size").has_value());
    CHECK(reader.optional_string("server").has_value());
    auto finished = reader.finish();
    REQUIRE_FALSE(finished.has_value());
    CHECK(finished.error().code == ErrorCode::bad_request);
    CHECK(finished.error().message ==
          R"(unknown field "sise" (did you mean "size"?); accepted fields: name, server, size)");

    // No suggestion when nothing is close; the first unknown key in key order is named.
    auto other = parse_strict(R"({"name":"p","zzz":1,"colour":2})");
    REQUIRE(other.has_value());
    ObjectReader second(*other);
    CHECK(second.required_string("name").has_value());
    CHECK(second.finish().error().message == R"(unknown field "colour"; accepted fields: name)");

    // An object where nothing is accepted.
    ObjectReader third(*other);
    CHECK(third.finish().error().message ==
          R"(unknown field "colour"; no fields are accepted here)");
  }

  TEST_CASE("nested readers name fields by their path") {
    auto body = parse_strict(R"({"spec":{"options":{"read_only":1,"browsable":true}}})");
    REQUIRE(body.has_value());
    ObjectReader reader(*body);
    auto spec = reader.required_object("spec");
    REQUIRE(spec.has_value());
    auto options = spec->required_object("options");
    REQUIRE(options.has_value());
    CHECK(options->optional_bool("read_only").error().message ==
          R"(field "spec/options/read_only" must be true or false, got number)");
    CHECK(options->optional_bool("browseable").has_value());
    CHECK(options->finish().error().message ==
          R"(unknown field "spec/options/browsable" (did you mean "spec/options/browseable"?); )"
          R"(accepted fields: browseable, read_only)");
    CHECK(spec->finish().has_value());
    CHECK(reader.finish().has_value());
  }

  TEST_CASE("optional_value and has mark fields as known") {
    auto body = parse_strict(R"({"size":"20G","x":1})");
    REQUIRE(body.has_value());
    ObjectReader reader(*body);
    const nlohmann::json* size = reader.optional_value("size");
    REQUIRE(size != nullptr);
    CHECK(size->is_string());
    CHECK(reader.optional_value("absent") == nullptr);
    CHECK(reader.has("x"));
    CHECK_FALSE(reader.has("y"));
    CHECK(reader.finish().has_value());
  }

  TEST_CASE("a reader over a non-object fails every read") {
    const nlohmann::json array = nlohmann::json::array();
    ObjectReader reader(array);
    CHECK(reader.optional_string("a").error().message ==
          "request body must be a JSON object, got array");
    CHECK(reader.finish().error().code == ErrorCode::bad_request);
  }

} // TEST_SUITE
