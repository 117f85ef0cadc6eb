#include <fstream>
#include <sstream>

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/credentials/credentials.hpp"
#include "cli/credentials/password.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"

using sharectl::cli::Credentials;

namespace {

::mode_t mode_of(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

} // namespace

TEST_CASE("the credentials file is created 0600 in a 0700 directory and read back") {
  sharectl::test::TempDir dir;
  const auto path = dir.path() / "cfg" / "sharectl" / "credentials.yaml";
  auto store = sharectl::cli::make_file_store(path);
  const Credentials alice{"https://a:7443", "uid-1", "app-1", "tok\"en: #1"};
  SHARECTL_REQUIRE_OK(store->save("default", alice));
  CHECK(mode_of(path) == 0600);
  CHECK(mode_of(path.parent_path()) == 0700);
  SHARECTL_REQUIRE_OK(store->save("lab", Credentials{"https://b", "u2", "a2", "t2"}));

  auto loaded = store->load("https://a:7443", "default");
  SHARECTL_REQUIRE_OK(loaded);
  REQUIRE(loaded->has_value());
  CHECK(**loaded == alice);
  auto other = store->load("https://a:7443", "lab");
  SHARECTL_REQUIRE_OK(other);
  CHECK(!other->has_value());

  SHARECTL_REQUIRE_OK(store->remove("https://a:7443", "default"));
  auto gone = store->load("https://a:7443", "default");
  SHARECTL_REQUIRE_OK(gone);
  CHECK(!gone->has_value());
  CHECK(store->describe() == path.string());
}

TEST_CASE("a credentials file readable by others is refused with the chmod hint") {
  sharectl::test::TempDir dir;
  const auto path = dir.path() / "credentials.yaml";
  auto store = sharectl::cli::make_file_store(path);
  SHARECTL_REQUIRE_OK(store->save("default", Credentials{"https://a", "u", "a", "t"}));
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  auto loaded = store->load("https://a", "default");
  REQUIRE(!loaded);
  CHECK(loaded.error().message.find("mode 0644") != std::string::npos);
  CHECK(loaded.error().message.find("chmod 600 " + path.string()) != std::string::npos);
  CHECK(!store->save("default", Credentials{"https://a", "u", "a", "t"}));
}

TEST_CASE("a credentials file owned by another user is refused") {
  SHARECTL_REQUIRE_ROOT();
  sharectl::test::TempDir dir;
  const auto path = dir.path() / "credentials.yaml";
  auto store = sharectl::cli::make_file_store(path);
  SHARECTL_REQUIRE_OK(store->save("default", Credentials{"https://a", "u", "a", "t"}));
  REQUIRE(::chown(path.c_str(), 65534, 65534) == 0); // nobody
  auto loaded = store->load("https://a", "default");
  REQUIRE(!loaded);
  CHECK(loaded.error().message.find("belongs to uid 65534, not to you") != std::string::npos);
}

TEST_CASE("the default credentials path follows XDG_CONFIG_HOME, then HOME") {
  CHECK(*sharectl::cli::default_credentials_path("/x", "/h") == "/x/sharectl/credentials.yaml");
  CHECK(*sharectl::cli::default_credentials_path("relative", "/h") ==
        "/h/.config/sharectl/credentials.yaml");
  CHECK(!sharectl::cli::default_credentials_path(std::nullopt, std::nullopt));
}

TEST_CASE("--password-stdin reads exactly one line") {
  std::istringstream two("s3cret pass\r\nsecond\n");
  auto first = sharectl::cli::read_password_line(two);
  SHARECTL_REQUIRE_OK(first);
  CHECK(*first == "s3cret pass");
  CHECK(*sharectl::cli::read_password_line(two) == "second");
  CHECK(!sharectl::cli::read_password_line(two));
  std::istringstream empty("\n");
  CHECK(!sharectl::cli::read_password_line(empty));
  std::istringstream no_newline("last");
  CHECK(*sharectl::cli::read_password_line(no_newline) == "last");
}
