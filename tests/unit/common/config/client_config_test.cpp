#include <cstdlib>
#include <fstream>

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "common/config/client_config.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using namespace sharectl::config;

namespace {

constexpr std::string_view k_fingerprint =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string refusal(std::string_view yaml) {
  auto parsed = parse_client_config(yaml, "config.yaml");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ErrorCode::bad_request);
  return parsed.error().message;
}

} // namespace

TEST_SUITE("config") {

  TEST_CASE("an empty client config has the default profile and no profiles") {
    auto parsed = parse_client_config("", "config.yaml");
    REQUIRE(parsed.has_value());
    CHECK(parsed->current_profile == "default");
    CHECK(parsed->profiles.empty());
    CHECK(*parsed == ClientConfig{});
  }

  TEST_CASE("client config profiles are read with every key") {
    auto parsed = parse_client_config(R"(
current_profile: lab
profiles:
  default:
    server: https://storage1:7443
  lab:
    server: "https://[::1]:7443/"
    ca_file: /home/u/.config/sharectl/ca.pem
    fingerprint: 01:23:45:67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef
    output: json
  empty:
)",
                                      "config.yaml");
    REQUIRE_MESSAGE(parsed.has_value(), parsed.error().message);
    CHECK(parsed->current_profile == "lab");
    REQUIRE(parsed->profiles.size() == 3);
    CHECK(parsed->profiles.at("default") == ClientProfile{"https://storage1:7443", {}, {}, {}});
    const ClientProfile& lab = parsed->profiles.at("lab");
    CHECK(lab.server == "https://[::1]:7443/");
    CHECK(lab.ca_file == std::optional<std::filesystem::path>("/home/u/.config/sharectl/ca.pem"));
    CHECK(lab.fingerprint == std::optional<std::string>(k_fingerprint));
    CHECK(lab.output == std::optional<OutputFormat>(OutputFormat::json));
    CHECK(parsed->profiles.at("empty") == ClientProfile{});
  }

  TEST_CASE("client config errors name the key and line") {
    CHECK(refusal("current_profile: a\nprofile:\n  x: {}\n") ==
          R"(config.yaml:2: unknown key "profile" (did you mean "profiles"?))");
    CHECK(
        refusal("profiles:\n  default:\n    sever: https://a\n") ==
        R"(config.yaml:3: unknown key "profiles.default.sever" (did you mean "profiles.default.server"?))");
    CHECK(
        refusal("profiles:\n  default:\n    output: xml\n") ==
        R"(config.yaml:3: key "profiles.default.output": output format must be table, json, yaml or name; got "xml")");
    CHECK(refusal("profiles:\n  default:\n    server: ftp://a\n")
              .find("config.yaml:3: key \"profiles.default.server\": invalid server URL") == 0);
    CHECK(refusal("profiles:\n  default:\n    ca_file: ca.pem\n")
              .find("config.yaml:3: key \"profiles.default.ca_file\"") == 0);
    CHECK(refusal("profiles:\n  default:\n    fingerprint: abc\n")
              .find("config.yaml:3: key \"profiles.default.fingerprint\": a fingerprint must be") ==
          0);
    CHECK(
        refusal("profiles:\n  default: https://a\n") ==
        R"(config.yaml:2: key "profiles.default" must be a mapping of keys, got the value "https://a")");
    CHECK(refusal("profiles: [a]\n") ==
          R"(config.yaml:1: key "profiles" must be a mapping of keys, got a list)");
    CHECK(refusal("profiles:\n  \"bad name\": {}\n").find("config.yaml:2: a profile name") == 0);
    CHECK(refusal("current_profile: \"-x\"\n").find("config.yaml:1: key \"current_profile\"") == 0);
    CHECK(refusal("profiles:\n  a: {}\n  a: {}\n") ==
          R"(config.yaml:3: duplicate key "profiles.a")");
  }

  TEST_CASE("server URLs") {
    for (const char* good :
         {"https://storage1:7443", "https://storage1", "http://127.0.0.1:8080",
          "https://[::1]:7443", "https://[::1]", "https://a.example.com:7443/"}) {
      CAPTURE(good);
      CHECK(validate_server_url(good).has_value());
    }
    for (const char* bad : {"", "storage1:7443", "ftp://a", "https://", "https://a:0",
                            "https://a:99999", "https://a/path", "https://u@a", "https://a b",
                            "https://a?x", "https://[a]:1", "https://::1:7443"}) {
      CAPTURE(bad);
      CHECK_FALSE(validate_server_url(bad).has_value());
    }
  }

  TEST_CASE("fingerprints are normalized to lowercase hex without colons") {
    CHECK(normalize_fingerprint(k_fingerprint) == std::string(k_fingerprint));
    CHECK(
        normalize_fingerprint("0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF") ==
        std::string(k_fingerprint));
    std::string with_colons;
    for (std::size_t i = 0; i < k_fingerprint.size(); i += 2) {
      with_colons += (i == 0 ? "" : ":") + std::string(k_fingerprint.substr(i, 2));
    }
    CHECK(normalize_fingerprint(with_colons) == std::string(k_fingerprint));
    for (const std::string& bad :
         {std::string(), std::string(k_fingerprint.substr(1)), std::string(k_fingerprint) + "0",
          "g" + std::string(k_fingerprint.substr(1)), with_colons + ":", ":" + with_colons,
          with_colons.substr(0, 94), std::string(k_fingerprint.substr(0, 62)) + "::",
          std::string("01:23") + std::string(k_fingerprint.substr(4))}) {
      CAPTURE(bad);
      CHECK_FALSE(normalize_fingerprint(bad).has_value());
    }
  }

  TEST_CASE("profile names and output formats") {
    CHECK(validate_profile_name("default").has_value());
    CHECK(validate_profile_name("lab-2.prod_x").has_value());
    CHECK_FALSE(validate_profile_name("").has_value());
    CHECK_FALSE(validate_profile_name("-a").has_value());
    CHECK_FALSE(validate_profile_name("a b").has_value());
    CHECK_FALSE(validate_profile_name(std::string(65, 'a')).has_value());
    for (const auto format :
         {OutputFormat::table, OutputFormat::json, OutputFormat::yaml, OutputFormat::name}) {
      CHECK(parse_output_format(to_string(format)) == format);
    }
    CHECK_FALSE(parse_output_format("JSON").has_value());
  }

  TEST_CASE("render_client_config round-trips") {
    ClientConfig config;
    CHECK(parse_client_config(render_client_config(config), "r") == config);
    config.current_profile = "lab";
    config.profiles["default"] = ClientProfile{"https://storage1:7443", {}, {}, {}};
    config.profiles["lab"] = ClientProfile{"https://[::1]:7443", "/etc/ssl/ca.pem",
                                           std::string(k_fingerprint), OutputFormat::yaml};
    config.profiles["empty"] = ClientProfile{};
    config.profiles["true"] = ClientProfile{"http://localhost:1", {}, {}, OutputFormat::name};
    const std::string text = render_client_config(config);
    auto parsed = parse_client_config(text, "rendered");
    REQUIRE_MESSAGE(parsed.has_value(), parsed.error().message << "\n" << text);
    CHECK(*parsed == config);
  }

  TEST_CASE("save_client_config writes a 0600 file in a 0700 directory and loads back") {
    test::TempDir dir;
    const auto path = dir.path() / "xdg" / "sharectl" / "config.yaml";
    auto missing = load_client_config(path);
    REQUIRE(missing.has_value());
    CHECK(*missing == ClientConfig{});

    ClientConfig config;
    config.profiles["default"] = ClientProfile{"https://storage1:7443", {}, {}, OutputFormat::json};
    REQUIRE(save_client_config(path, config).has_value());
    struct stat file_info {};
    REQUIRE(::stat(path.c_str(), &file_info) == 0);
    CHECK((file_info.st_mode & 07777) == 0600);
    struct stat dir_info {};
    REQUIRE(::stat(path.parent_path().c_str(), &dir_info) == 0);
    CHECK((dir_info.st_mode & 07777) == 0700);
    auto loaded = load_client_config(path);
    REQUIRE(loaded.has_value());
    CHECK(*loaded == config);

    config.current_profile = "other";
    REQUIRE(save_client_config(path, config).has_value());
    CHECK(load_client_config(path) == config);

    {
      std::ofstream out(path);
      out << "current_profile: [x]\n";
    }
    auto bad = load_client_config(path);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message.find(path.string() + ":1:") == 0);
  }

  TEST_CASE("default_client_config_path follows XDG_CONFIG_HOME, then HOME") {
    const char* old_xdg = std::getenv("XDG_CONFIG_HOME");
    const char* old_home = std::getenv("HOME");
    const std::string saved_xdg = old_xdg ? old_xdg : "";
    const std::string saved_home = old_home ? old_home : "";

    ::setenv("XDG_CONFIG_HOME", "/x/conf", 1);
    ::setenv("HOME", "/home/u", 1);
    CHECK(default_client_config_path() == std::filesystem::path("/x/conf/sharectl/config.yaml"));
    ::setenv("XDG_CONFIG_HOME", "relative", 1);
    CHECK(default_client_config_path() ==
          std::filesystem::path("/home/u/.config/sharectl/config.yaml"));
    ::unsetenv("XDG_CONFIG_HOME");
    CHECK(default_client_config_path() ==
          std::filesystem::path("/home/u/.config/sharectl/config.yaml"));
    ::unsetenv("HOME");
    CHECK_FALSE(default_client_config_path().has_value());

    if (old_xdg) {
      ::setenv("XDG_CONFIG_HOME", saved_xdg.c_str(), 1);
    }
    if (old_home) {
      ::setenv("HOME", saved_home.c_str(), 1);
    }
  }

} // TEST_SUITE
