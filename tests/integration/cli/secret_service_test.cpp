// The Secret Service credential store against a real gnome-keyring-daemon on a private
// session bus (dbus-daemon without service activation), unlocked with a password on stdin.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <doctest/doctest.h>

#include "cli/credentials/credentials.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/cli/cli_test_io.hpp"

namespace {

// Sets an environment variable for the test's lifetime (libsecret reads the process's own).
class ScopedEnv {
public:
  ScopedEnv(const char* name, const std::string& value) : m_name(name) {
    if (const char* old = std::getenv(name)) {
      m_old = old;
    }
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (m_old) {
      ::setenv(m_name, m_old->c_str(), 1);
    } else {
      ::unsetenv(m_name);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  const char* m_name;
  std::optional<std::string> m_old;
};

} // namespace

TEST_CASE("credentials are kept in a real, unlocked Secret Service") {
  SHARECTL_REQUIRE_PROGRAMS("dbus-daemon", "gnome-keyring-daemon", "sh");
  sharectl::test::TempDir dir;
  const auto bus = dir.path() / "bus";
  const std::string address = "unix:path=" + bus.string();
  std::filesystem::create_directories(dir.path() / "run");
  const ScopedEnv home("HOME", dir.path().string());
  const ScopedEnv runtime("XDG_RUNTIME_DIR", (dir.path() / "run").string());
  const ScopedEnv data("XDG_DATA_HOME", (dir.path() / "data").string());
  const ScopedEnv config("XDG_CONFIG_HOME", (dir.path() / "config").string());
  const ScopedEnv session("DBUS_SESSION_BUS_ADDRESS", address);

  // A session bus without service activation: with it, the first libsecret call could make the
  // bus start a second, locked gnome-keyring-daemon before ours has claimed the name ("another
  // secret service is running"), and the test would wait for an unlocked keyring in vain.
  const auto bus_config = dir.path() / "bus.conf";
  std::ofstream(bus_config)
      << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
         " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
         "<busconfig><type>session</type><listen>"
      << address
      << "</listen><auth>EXTERNAL</auth>\n"
         "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
         "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n";
  auto dbus =
      sharectl::test::ChildProcess::spawn({{"dbus-daemon", "--config-file=" + bus_config.string(),
                                            "--nofork", "--nopidfile", "--address=" + address},
                                           dir.path() / "dbus.log",
                                           std::nullopt,
                                           SIGTERM});
  SHARECTL_REQUIRE_OK(dbus);
  for (int i = 0; i < 100 && !std::filesystem::exists(bus); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE_MESSAGE(std::filesystem::exists(bus),
                  sharectl::test::tail_of_file(dir.path() / "dbus.log"));

  auto keyring = sharectl::test::ChildProcess::spawn(
      {{"sh", "-c",
        "printf 'test-password' | exec gnome-keyring-daemon --foreground --unlock "
        "--components=secrets"},
       dir.path() / "keyring.log",
       std::nullopt,
       SIGTERM});
  SHARECTL_REQUIRE_OK(keyring);

  std::unique_ptr<sharectl::cli::CredentialStore> store;
  for (int i = 0; i < 100 && !store; ++i) {
    store = sharectl::cli::make_secret_service_store(address);
    if (!store) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  REQUIRE_MESSAGE(store != nullptr, sharectl::test::tail_of_file(dir.path() / "keyring.log"));
  CHECK(store->describe().find("Secret Service") != std::string::npos);
  CHECK(!sharectl::cli::make_secret_service_store(std::nullopt));

  const sharectl::cli::Credentials alice{"http://127.0.0.1:1", "uid-1", "app-1", "tok-1"};
  SHARECTL_REQUIRE_OK(store->save("default", alice));
  auto loaded = store->load("http://127.0.0.1:1", "default");
  SHARECTL_REQUIRE_OK(loaded);
  REQUIRE(loaded->has_value());
  CHECK(**loaded == alice);
  auto other_profile = store->load("http://127.0.0.1:1", "lab");
  SHARECTL_REQUIRE_OK(other_profile);
  CHECK(!other_profile->has_value());

  // sharectl itself finds them there: the request goes out (exit 8, nothing listens) instead
  // of "not logged in" (exit 3); no credentials file was written.
  const auto run =
      sharectl::test::run_sharectl({"--server", "http://127.0.0.1:1", "--timeout", "5s", "whoami"},
                                   {{"HOME", dir.path().string()},
                                    {"XDG_CONFIG_HOME", (dir.path() / "config").string()},
                                    {"DBUS_SESSION_BUS_ADDRESS", address}});
  CHECK_MESSAGE(run.rc == 8, run.err);
  CHECK(!std::filesystem::exists(dir.path() / "config" / "sharectl" / "credentials.yaml"));

  SHARECTL_REQUIRE_OK(store->remove("http://127.0.0.1:1", "default"));
  auto gone = store->load("http://127.0.0.1:1", "default");
  SHARECTL_REQUIRE_OK(gone);
  CHECK(!gone->has_value());
  store.reset();
  SHARECTL_CHECK_OK(keyring->stop(SIGTERM, std::chrono::seconds(5)));
  SHARECTL_CHECK_OK(dbus->stop(SIGTERM, std::chrono::seconds(5)));
}
