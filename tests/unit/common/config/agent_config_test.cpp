#include <fstream>

#include <doctest/doctest.h>

#include "common/config/agent_config.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using namespace sharectl::config;
using std::chrono::seconds;

namespace {

// The error message of a config that must be refused with bad_request.
std::string refusal(std::string_view yaml) {
  auto parsed = parse_agent_config(yaml, "agent.yaml");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ErrorCode::bad_request);
  return parsed.error().message;
}

AgentConfig parse_ok(std::string_view yaml) {
  auto parsed = parse_agent_config(yaml, "agent.yaml");
  if (!parsed) {
    FAIL_CHECK(parsed.error().message);
    return AgentConfig{};
  }
  return *parsed;
}

// SPEC.md's example file, verbatim.
constexpr std::string_view k_spec_example = R"(listen: 0.0.0.0:7443              # host:port
tls:
  enabled: true                   # false is refused unless listen is a loopback address
  cert: /etc/sharectl/tls/agent.crt
  key: /etc/sharectl/tls/agent.key
store: sqlite:///var/lib/sharectl/state.db   # or postgres://…, later etcd://…, dynamodb://…
server:
  name: storage1                  # default: the host name
  address: 192.0.2.10             # what clients use to reach smbd; default: first non-loopback
  roles: [samba]                  # samba, iscsi
samba:
  config: /etc/samba/smb.conf     # the agent only ensures one include line in it
  include: /etc/samba/sharectl.conf   # the file the agent owns and rewrites
  accounts: local                 # local: provision Unix + passdb accounts; external: domain
  # smbd is addressed with `smbcontrol --configfile=<config>`; testparm, smbcontrol, pdbedit
  # are looked up on PATH
filesystems:
  - path: /srv/sharectl           # spaces are created below it
    driver: btrfs                 # btrfs (subvolume + qgroup), dir (no enforcement), later xfs
spaces:
  user_allowance: unlimited       # or a size: the most space one user may own in total
groups:
  user_groups: true               # (wave 2) any active user may create and manage groups of their
                                  # own for share grants; such groups never carry cluster roles
auth:
  registration: open              # open | closed
  basic: false                    # accept Authorization: Basic
apps:
  idle_expiry: 7d
  max_lifetime: 90d
reconcile:
  resync: 60s
log:
  level: info
)";

} // namespace

TEST_SUITE("config") {

  TEST_CASE("an empty agent.yaml gives every default of SPEC.md") {
    for (const char* text : {"", "\n", "# only a comment\n", "---\n", "{}"}) {
      CAPTURE(text);
      const AgentConfig config = parse_ok(text);
      CHECK(config.listen.host == "0.0.0.0");
      CHECK(config.listen.port == 7443);
      CHECK(config.tls.enabled);
      CHECK(config.tls.cert == "/etc/sharectl/tls/agent.crt");
      CHECK(config.tls.key == "/etc/sharectl/tls/agent.key");
      CHECK(config.store == "sqlite:///var/lib/sharectl/state.db");
      CHECK(config.server.name == default_server_name());
      CHECK_FALSE(config.server.name.empty());
      CHECK(config.server.address.empty());
      CHECK(config.server.roles == std::vector<ServerRole>{ServerRole::samba});
      CHECK(config.samba.config == "/etc/samba/smb.conf");
      CHECK(config.samba.include == "/etc/samba/sharectl.conf");
      CHECK(config.samba.accounts == SambaAccounts::local);
      REQUIRE(config.filesystems.size() == 1);
      CHECK(config.filesystems[0].path == "/srv/sharectl");
      CHECK(config.filesystems[0].driver == FilesystemDriver::btrfs);
      // Beyond SPEC.md's "unlimited": quotas of abuse (agent/README.md).
      CHECK(config.spaces.user_allowance == k_default_user_allowance);
      CHECK(config.spaces.max_per_user == 100U);
      CHECK(config.shares.max_per_user == 200U);
      CHECK(config.groups.max_per_user == 50U);
      CHECK(config.apps.max_per_user == 20U);
      CHECK_FALSE(config.shares.invitations);
      CHECK(config.groups.user_groups);
      CHECK(config.auth.registration == Registration::open);
      CHECK_FALSE(config.auth.basic);
      CHECK(config.apps.idle_expiry == seconds(7 * 86400));
      CHECK(config.apps.max_lifetime == seconds(90 * 86400));
      CHECK(config.reconcile.resync == seconds(60));
      CHECK(config.reconcile.heartbeat == seconds(15));
      CHECK(config.log.level == LogLevel::info);
      CHECK(config == AgentConfig{});
    }
  }

  TEST_CASE("SPEC.md's example file parses") {
    const AgentConfig config = parse_ok(k_spec_example);
    AgentConfig expected;
    expected.server.name = "storage1";
    expected.server.address = "192.0.2.10";
    expected.spaces.user_allowance = std::nullopt; // the example's explicit "unlimited"
    CHECK(config == expected);
  }

  TEST_CASE("null values and empty sections take the defaults") {
    const AgentConfig config = parse_ok("listen:\ntls:\nserver:\n  name: ~\nsamba: null\n");
    CHECK(config == AgentConfig{});
  }

  TEST_CASE("every key can be set") {
    const AgentConfig config = parse_ok(R"(
listen: "[::1]:8443"
tls:
  enabled: false
  cert: /etc/x/c.pem
  key: /etc/x/k.pem
store: postgres://db.example.com/sharectl
server:
  name: nas-01.example.com
  address: nas.example.com
  roles:
    - iscsi
    - samba
samba:
  config: /etc/samba/other.conf
  include: /etc/samba/inc.conf
  accounts: external
filesystems:
  - path: /srv/a
    driver: dir
  - path: /srv/b
  - path: /data/xfs
    driver: xfs
spaces:
  user_allowance: 500G
shares:
  invitations: true
groups:
  user_groups: false
auth:
  registration: closed
  basic: TRUE
apps:
  idle_expiry: 12h
  max_lifetime: 30d
reconcile:
  resync: 5m
  heartbeat: 2s
log:
  level: debug
)");
    CHECK(config.listen == ListenAddress{"::1", 8443});
    CHECK_FALSE(config.tls.enabled);
    CHECK(config.tls.cert == "/etc/x/c.pem");
    CHECK(config.tls.key == "/etc/x/k.pem");
    CHECK(config.store == "postgres://db.example.com/sharectl");
    CHECK(config.server.name == "nas-01.example.com");
    CHECK(config.server.address == "nas.example.com");
    CHECK(config.server.roles == std::vector<ServerRole>{ServerRole::iscsi, ServerRole::samba});
    CHECK(config.samba.config == "/etc/samba/other.conf");
    CHECK(config.samba.include == "/etc/samba/inc.conf");
    CHECK(config.samba.accounts == SambaAccounts::external);
    REQUIRE(config.filesystems.size() == 3);
    CHECK(config.filesystems[0] == FilesystemConfig{"/srv/a", FilesystemDriver::dir});
    CHECK(config.filesystems[1] == FilesystemConfig{"/srv/b", FilesystemDriver::btrfs});
    CHECK(config.filesystems[2] == FilesystemConfig{"/data/xfs", FilesystemDriver::xfs});
    CHECK(config.spaces.user_allowance == std::optional<std::uint64_t>(500ULL << 30));
    CHECK(config.shares.invitations);
    CHECK_FALSE(config.groups.user_groups);
    CHECK(config.auth.registration == Registration::closed);
    CHECK(config.auth.basic);
    CHECK(config.apps.idle_expiry == seconds(12 * 3600));
    CHECK(config.apps.max_lifetime == seconds(30 * 86400));
    CHECK(config.reconcile.resync == seconds(300));
    CHECK(config.reconcile.heartbeat == seconds(2));
    CHECK(config.log.level == LogLevel::debug);
  }

  TEST_CASE("an empty filesystems list is allowed") {
    CHECK(parse_ok("filesystems: []\n").filesystems.empty());
  }

  TEST_CASE("unknown keys are refused with their full path, line and a suggestion") {
    CHECK(refusal("listen: 0.0.0.0:7443\nlisten_port: 1\n") ==
          R"(agent.yaml:2: unknown key "listen_port")");
    CHECK(refusal("samba:\n  config: /etc/samba/smb.conf\n  inclde: /etc/samba/x.conf\n") ==
          R"(agent.yaml:3: unknown key "samba.inclde" (did you mean "samba.include"?))");
    CHECK(refusal("TLS:\n  enabled: true\n") ==
          R"(agent.yaml:1: unknown key "TLS" (did you mean "tls"?))");
    CHECK(
        refusal("filesystems:\n  - path: /srv/a\n  - path: /srv/b\n    drvier: dir\n") ==
        R"(agent.yaml:4: unknown key "filesystems[1].drvier" (did you mean "filesystems[1].driver"?))");
    CHECK(refusal("apps:\n  idle_expiry: 7d\n  max_lifetme: 9d\n") ==
          R"(agent.yaml:3: unknown key "apps.max_lifetme" (did you mean "apps.max_lifetime"?))");
    CHECK(refusal("log:\n  level: info\n  file: /var/log/x\n") ==
          R"(agent.yaml:3: unknown key "log.file")");
    CHECK(refusal("server:\n  roles: [samba]\n  extra:\n    deeper: 1\n") ==
          R"(agent.yaml:3: unknown key "server.extra")");
  }

  TEST_CASE("groups.user_groups: a boolean, true by default, unknown group keys refused") {
    CHECK(parse_ok("groups:\n  user_groups: false\n").groups.user_groups == false);
    CHECK(parse_ok("groups:\n  user_groups: true\n").groups.user_groups);
    CHECK(parse_ok("groups:\n").groups.user_groups);
    CHECK(parse_ok("groups:\n  user_groups:\n").groups.user_groups);
    CHECK(refusal("groups:\n  user_groups: no\n") ==
          R"(agent.yaml:2: key "groups.user_groups": must be true or false (unquoted), got "no")");
    CHECK(refusal("groups:\n  user_group: false\n") ==
          R"(agent.yaml:2: unknown key "groups.user_group" (did you mean "groups.user_groups"?))");
    CHECK(refusal("groups: false\n") ==
          R"(agent.yaml:1: key "groups" must be a mapping of keys, got the value "false")");
  }

  TEST_CASE("wrong types are refused with the path and the line") {
    CHECK(refusal("tls:\n  enabled: yes\n") ==
          R"(agent.yaml:2: key "tls.enabled": must be true or false (unquoted), got "yes")");
    CHECK(refusal("tls:\n  enabled: \"true\"\n").find("agent.yaml:2: key \"tls.enabled\"") == 0);
    CHECK(refusal("auth:\n  basic: 1\n").find("agent.yaml:2: key \"auth.basic\": must be true") ==
          0);
    CHECK(refusal("tls: true\n") ==
          R"(agent.yaml:1: key "tls" must be a mapping of keys, got the value "true")");
    CHECK(refusal("\n\nserver:\n  roles: samba\n") ==
          R"(agent.yaml:4: key "server.roles" must be a list, got the value "samba")");
    CHECK(refusal("server:\n  roles:\n    - samba\n    - [iscsi]\n") ==
          R"(agent.yaml:4: key "server.roles[1]" must be a single value, got a list)");
    CHECK(refusal("listen:\n  host: 0.0.0.0\n") ==
          R"(agent.yaml:2: key "listen" must be a single value, got a mapping)");
    CHECK(refusal("filesystems:\n  path: /srv\n") ==
          R"(agent.yaml:2: key "filesystems" must be a list, got a mapping)");
    CHECK(
        refusal("filesystems:\n  - /srv/sharectl\n") ==
        R"(agent.yaml:2: key "filesystems[0]" must be a mapping of keys, got the value "/srv/sharectl")");
    CHECK(
        refusal("log:\n  level: verbose\n") ==
        R"(agent.yaml:2: key "log.level": must be trace, debug, info, warn or error, got "verbose")");
    CHECK(refusal("samba:\n  accounts: domain\n") ==
          R"(agent.yaml:2: key "samba.accounts": must be local or external, got "domain")");
    CHECK(refusal("auth:\n  registration: invite\n").find("must be open or closed") !=
          std::string::npos);
    CHECK(refusal("filesystems:\n  - path: /srv/a\n    driver: zfs\n") ==
          R"(agent.yaml:3: key "filesystems[0].driver": must be btrfs, dir or xfs, got "zfs")");
  }

  TEST_CASE("invalid values are refused with the path and the line") {
    CHECK(
        refusal("listen: 0.0.0.0\n").find("agent.yaml:1: key \"listen\": invalid listen address") ==
        0);
    CHECK(refusal("listen: 0.0.0.0:0\n").find("1 to 65535") != std::string::npos);
    CHECK(refusal("listen: 0.0.0.0:65536\n").find("1 to 65535") != std::string::npos);
    CHECK(refusal("listen: ::1:7443\n").find("brackets") != std::string::npos);
    CHECK(refusal("listen: 999.0.0.1:7443\n").find("not a valid IPv4") != std::string::npos);
    CHECK(refusal("tls:\n  cert: relative/agent.crt\n").find("agent.yaml:2: key \"tls.cert\": ") ==
          0);
    CHECK(refusal("samba:\n  include: /etc/samba/../x.conf\n")
              .find("agent.yaml:2: key \"samba.include\": ") == 0);
    CHECK(refusal("filesystems:\n  - path: srv\n")
              .find("agent.yaml:2: key \"filesystems[0].path\"") == 0);
    CHECK(
        refusal("filesystems:\n  - driver: dir\n") ==
        R"(agent.yaml:2: key "filesystems[0].path" is required: the directory spaces are created below)");
    CHECK(refusal("store: /var/lib/sharectl/state.db\n")
              .find("agent.yaml:1: key \"store\": a store") == 0);
    CHECK(refusal("store: \"sqlite:///a b\"\n").find("spaces") != std::string::npos);
    CHECK(refusal("server:\n  name: \"bad name\"\n").find("agent.yaml:2: key \"server.name\"") ==
          0);
    CHECK(refusal("server:\n  address: bad_host!\n").find("agent.yaml:2: key \"server.address\"") ==
          0);
    CHECK(refusal("server:\n  roles: [samba, nfs]\n") ==
          R"(agent.yaml:2: key "server.roles[1]": must be samba or iscsi, got "nfs")");
    CHECK(
        refusal("spaces:\n  user_allowance: lots\n")
            .find("agent.yaml:2: key \"spaces.user_allowance\": must be \"unlimited\" or a size") ==
        0);
    CHECK(refusal("spaces:\n  user_allowance: -1G\n").find("spaces.user_allowance") !=
          std::string::npos);
    CHECK(refusal("apps:\n  idle_expiry: 7\n")
              .find("agent.yaml:2: key \"apps.idle_expiry\": invalid "
                    "duration \"7\"") == 0);
    CHECK(refusal("reconcile:\n  resync: 0s\n").find("reconcile.resync") != std::string::npos);
    CHECK(refusal("reconcile:\n  resync: 1.5h\n").find("fractions") != std::string::npos);
    CHECK(refusal("reconcile:\n  heartbeat: 0s\n").find("reconcile.heartbeat") !=
          std::string::npos);
    CHECK(refusal("reconcile:\n  heartbeat: 10m\n").find("from 1s to 5m") != std::string::npos);
  }

  TEST_CASE("user_allowance takes unlimited or a size") {
    CHECK_FALSE(parse_ok("spaces:\n  user_allowance: unlimited\n").spaces.user_allowance);
    CHECK(parse_ok("spaces:\n  user_allowance: 1TB\n").spaces.user_allowance ==
          std::optional<std::uint64_t>(1000000000000ULL));
    CHECK(parse_ok("spaces:\n  user_allowance: 2TiB\n").spaces.user_allowance ==
          std::optional<std::uint64_t>(2ULL << 40));
  }

  TEST_CASE("the per-user caps take unlimited or a whole number from 1 to 1000000") {
    CHECK_FALSE(parse_ok("spaces:\n  max_per_user: unlimited\n").spaces.max_per_user);
    CHECK(parse_ok("shares:\n  max_per_user: 5\n").shares.max_per_user == 5U);
    CHECK(parse_ok("groups:\n  max_per_user: 1000000\n").groups.max_per_user == 1000000U);
    CHECK(parse_ok("apps:\n  max_per_user: 1\n").apps.max_per_user == 1U);
    for (const char* bad : {"0", "-1", "1000001", "ten", "+5", "1e3"}) {
      CAPTURE(bad);
      CHECK(refusal(std::string("apps:\n  max_per_user: ") + bad + "\n")
                .find("agent.yaml:2: key \"apps.max_per_user\": must be \"unlimited\" or a whole "
                      "number") == 0);
    }
  }

  TEST_CASE("YAML-level problems are refused with a line") {
    CHECK(refusal("listen: 0.0.0.0:7443\nlisten: 127.0.0.1:7443\n") ==
          R"(agent.yaml:2: duplicate key "listen")");
    CHECK(refusal("tls:\n  cert: /a\n  enabled: true\n  cert: /b\n") ==
          R"(agent.yaml:4: duplicate key "tls.cert")");
    CHECK(refusal("filesystems:\n  - path: /a\n    path: /b\n") ==
          R"(agent.yaml:3: duplicate key "filesystems[0].path")");
    CHECK(refusal("tls:\n  enabled: [true\n").find("agent.yaml:") == 0);
    CHECK(refusal("tls:\n  enabled: [true\n").find("invalid YAML") != std::string::npos);
    CHECK(refusal("listen: a\n---\nlisten: b\n").find("only one YAML document") !=
          std::string::npos);
    CHECK(refusal("- listen\n") ==
          "agent.yaml:1: the top level must be a mapping of keys, got a list");
    CHECK(refusal("just text\n").find("the top level must be a mapping") != std::string::npos);
    CHECK(refusal("? [a, b]\n: 1\n").find("keys must be plain names") != std::string::npos);
  }

  TEST_CASE("plain HTTP is refused unless listen is a loopback address") {
    const std::string message = refusal("listen: 0.0.0.0:7443\ntls:\n  enabled: false\n");
    CHECK(message.find("agent.yaml:3: tls.enabled is false but listen is 0.0.0.0:7443: plain HTTP "
                       "is allowed only on a loopback address") == 0);
    CHECK(message.find("unencrypted") != std::string::npos);
    CHECK(refusal("tls:\n  enabled: false\n").find("0.0.0.0:7443") != std::string::npos);
    CHECK(refusal("listen: \"[::]:7443\"\ntls:\n  enabled: false\n").find("[::]:7443") !=
          std::string::npos);
    CHECK(refusal("listen: storage1:7443\ntls:\n  enabled: false\n").find("loopback") !=
          std::string::npos);
    for (const char* host : {"127.0.0.1:7443", "127.9.8.7:80", "localhost:7443", "LOCALHOST:7443",
                             "\"[::1]:7443\"", "\"[::ffff:127.0.0.1]:7443\""}) {
      CAPTURE(host);
      const AgentConfig config =
          parse_ok(std::string("listen: ") + host + "\ntls:\n  enabled: false\n");
      CHECK_FALSE(config.tls.enabled);
    }
  }

  TEST_CASE("other cross-field rules") {
    CHECK(refusal("server:\n  roles: [samba, samba]\n") ==
          "agent.yaml:2: server.roles lists samba twice");
    CHECK(refusal("server:\n  roles: []\n").find("at least one role") != std::string::npos);
    CHECK(refusal("samba:\n  config: /etc/samba/a.conf\n  include: /etc/samba/a.conf\n")
              .find("agent.yaml:3: samba.include must differ from samba.config") == 0);
    CHECK(refusal("filesystems:\n  - path: /srv/a\n  - path: /srv/a\n") ==
          "agent.yaml:3: filesystems[1].path /srv/a is already listed as filesystems[0].path");
    CHECK(refusal("filesystems:\n  - path: /srv/a/b\n  - path: /srv/a\n") ==
          "agent.yaml:2: filesystems[0].path /srv/a/b is inside filesystems[1].path /srv/a; "
          "filesystems must not overlap");
    CHECK(parse_ok("filesystems:\n  - path: /srv/a\n  - path: /srv/ab\n").filesystems.size() == 2);
    CHECK(refusal("apps:\n  idle_expiry: 100d\n") ==
          "agent.yaml:2: apps.idle_expiry (100d) is longer than apps.max_lifetime (90d), so it "
          "would never apply");
    CHECK(parse_ok("apps:\n  idle_expiry: 90d\n").apps.idle_expiry == seconds(90 * 86400));

    AgentConfig config;
    CHECK(check_agent_config(config).has_value());
    config.tls.enabled = false;
    CHECK(check_agent_config(config).error().message.find("tls.enabled is false") == 0);
    config.listen.host = "127.0.0.1";
    CHECK(check_agent_config(config).has_value());
  }

  TEST_CASE("listen addresses") {
    CHECK(parse_listen_address("0.0.0.0:7443") == ListenAddress{"0.0.0.0", 7443});
    CHECK(parse_listen_address("[::]:1") == ListenAddress{"::", 1});
    CHECK(parse_listen_address("[fe80::1:2]:65535") == ListenAddress{"fe80::1:2", 65535});
    CHECK(parse_listen_address("storage-1.example.com:7443") ==
          ListenAddress{"storage-1.example.com", 7443});
    for (const char* bad : {"",
                            ":7443",
                            "host",
                            "host:",
                            "host:0",
                            "host:65536",
                            "host:07443",
                            "host:+1",
                            "host:1a",
                            "[::1]",
                            "[::1]7443",
                            "[::1:7443",
                            "::1:7443",
                            "[127.0.0.1]:1",
                            "-host:1",
                            "host-:1",
                            "a..b:1",
                            "a b:1",
                            "1.2.3.4.5:1",
                            "256.1.1.1:1",
                            "under_score:1"}) {
      CAPTURE(bad);
      auto parsed = parse_listen_address(bad);
      REQUIRE_FALSE(parsed.has_value());
      CHECK(parsed.error().code == ErrorCode::bad_request);
    }
    CHECK(format_listen_address({"::1", 7443}) == "[::1]:7443");
    CHECK(format_listen_address({"0.0.0.0", 7443}) == "0.0.0.0:7443");
    CHECK(is_loopback_host("127.0.0.1"));
    CHECK(is_loopback_host("127.255.255.254"));
    CHECK(is_loopback_host("::1"));
    CHECK(is_loopback_host("0:0:0:0:0:0:0:1"));
    CHECK(is_loopback_host("localhost"));
    CHECK(is_loopback_host("::ffff:127.0.0.1"));
    CHECK_FALSE(is_loopback_host("0.0.0.0"));
    CHECK_FALSE(is_loopback_host("::"));
    CHECK_FALSE(is_loopback_host("128.0.0.1"));
    CHECK_FALSE(is_loopback_host("localhost.example.com"));
    CHECK_FALSE(is_loopback_host("127.0.0.1.example.com"));
    CHECK_FALSE(is_loopback_host(""));
  }

  TEST_CASE("enum names") {
    CHECK(to_string(ServerRole::iscsi) == "iscsi");
    CHECK(to_string(SambaAccounts::external) == "external");
    CHECK(to_string(FilesystemDriver::dir) == "dir");
    CHECK(to_string(Registration::closed) == "closed");
    CHECK(to_string(LogLevel::warn) == "warn");
  }

  TEST_CASE("default_agent_config_yaml parses back to the defaults") {
    const std::string text = default_agent_config_yaml();
    auto parsed = parse_agent_config(text, "default");
    REQUIRE_MESSAGE(parsed.has_value(), parsed.error().message);
    CHECK(*parsed == AgentConfig{});
    // The host name is a comment, so the file follows a renamed host.
    CHECK(text.find("  # name: ") != std::string::npos);
    CHECK(text.find("  # address: ") != std::string::npos);
    CHECK(text.find("listen: 0.0.0.0:7443") != std::string::npos);
    CHECK(text.find("user_allowance: 100GiB") != std::string::npos);
    CHECK(text.find("spaces:\n  user_allowance: 100GiB") != std::string::npos);
    CHECK(text.find("  max_per_user: 20") != std::string::npos);
    CHECK(text.find("groups:\n  user_groups: true") != std::string::npos);
  }

  TEST_CASE("render_agent_config round-trips a non-default config") {
    AgentConfig config;
    config.listen = {"::1", 8443};
    config.tls = {false, "/etc/x/cert.pem", "/etc/x/key.pem"};
    config.store = "postgres://user@db:5432/sharectl?sslmode=require";
    config.server = {"nas-01", "fd00::10", {ServerRole::iscsi}};
    config.samba = {"/etc/samba/x.conf", "/etc/samba/y.conf", SambaAccounts::external};
    config.filesystems = {{"/srv/one", FilesystemDriver::dir}, {"/srv/two", FilesystemDriver::xfs}};
    config.spaces.user_allowance = (3ULL << 30) + 1;
    config.shares.invitations = true;
    config.groups.user_groups = false;
    config.auth = {Registration::closed, true};
    config.apps = {seconds(3600), seconds(86400 * 2)};
    config.reconcile.resync = seconds(90);
    config.log.level = LogLevel::trace;
    const std::string text = render_agent_config(config);
    auto parsed = parse_agent_config(text, "rendered");
    REQUIRE_MESSAGE(parsed.has_value(), parsed.error().message << "\n" << text);
    CHECK(*parsed == config);

    config.filesystems.clear();
    config.spaces.user_allowance = 5ULL << 40;
    auto again = parse_agent_config(render_agent_config(config), "rendered");
    REQUIRE(again.has_value());
    CHECK(*again == config);
  }

  TEST_CASE("load_agent_config reads a file and names it in messages") {
    test::TempDir dir;
    const auto path = dir.path() / "agent.yaml";
    {
      std::ofstream out(path);
      out << "log:\n  level: loud\n";
    }
    auto bad = load_agent_config(path);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message.find(path.string() + ":2: key \"log.level\"") == 0);
    {
      std::ofstream out(path);
      out << default_agent_config_yaml();
    }
    auto good = load_agent_config(path);
    REQUIRE(good.has_value());
    CHECK(*good == AgentConfig{});
    auto missing = load_agent_config(dir.path() / "absent.yaml");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == ErrorCode::not_found);
  }

} // TEST_SUITE

TEST_SUITE("config") {

  TEST_CASE("alias bombs and deep nesting are refused, not walked") {
    std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 9; ++i) {
      const std::string prev = "*a" + std::to_string(i - 1);
      bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
      for (int j = 0; j < 9; ++j) {
        bomb += ", " + prev;
      }
      bomb += "]\n";
    }
    CHECK(refusal(bomb).find("too large or too deeply nested") != std::string::npos);
    std::string deep = "log:\n";
    for (int i = 0; i < 70; ++i) {
      deep += std::string(2 * (i + 1), ' ') + "k" + std::to_string(i) + ":\n";
    }
    CHECK(refusal(deep).find("too large or too deeply nested") != std::string::npos);
  }

} // TEST_SUITE
