// write_file_atomic() and read_file() on a real filesystem in a private temp directory.
#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/atomic_file.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

::mode_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

} // namespace

TEST_SUITE("util") {

  TEST_CASE("atomic_file: creates a new file with exactly the requested mode") {
    test::TempDir dir;
    const auto target = dir.path() / "sharectl.conf";
    REQUIRE(write_file_atomic(target, "[share]\n  path = /srv\n").has_value());
    CHECK(slurp(target) == "[share]\n  path = /srv\n");
    CHECK(mode_of(target) == 0644);
    CHECK(names_in(dir.path()) == std::set<std::string>{"sharectl.conf"});

    const auto wide = dir.path() / "wide";
    const ::mode_t old_umask = ::umask(077);
    AtomicWriteOptions options;
    options.mode = 0664;
    const auto written = write_file_atomic(wide, "x", options);
    ::umask(old_umask);
    REQUIRE(written.has_value());
    CHECK(mode_of(wide) == 0664); // the umask does not narrow it

    options.mode = 0600;
    REQUIRE(write_file_atomic(dir.path() / "secret", "token", options).has_value());
    CHECK(mode_of(dir.path() / "secret") == 0600);
  }

  TEST_CASE("atomic_file: replaces existing content and mode, leaving no temporary files") {
    test::TempDir dir;
    const auto target = dir.path() / "state";
    std::ofstream(target) << "old content that is longer than the new one";
    ::chmod(target.c_str(), 0600);
    REQUIRE(write_file_atomic(target, "new").has_value());
    CHECK(slurp(target) == "new");
    CHECK(mode_of(target) == 0644);
    REQUIRE(write_file_atomic(target, "").has_value());
    CHECK(slurp(target).empty());
    CHECK(names_in(dir.path()) == std::set<std::string>{"state"});
  }

  TEST_CASE("atomic_file: large and binary content is written completely") {
    test::TempDir dir;
    const auto target = dir.path() / "big";
    std::string content(3 * 1024 * 1024 + 17, '\0');
    for (std::size_t i = 0; i < content.size(); ++i) {
      content[i] = static_cast<char>(i * 131 % 251);
    }
    REQUIRE(write_file_atomic(target, content).has_value());
    CHECK(slurp(target) == content);
  }

  TEST_CASE("atomic_file: validate sees the complete temporary file beside the target") {
    test::TempDir dir;
    const auto target = dir.path() / "smb.conf";
    std::ofstream(target) << "old";
    fs::path seen;
    std::string seen_content;
    AtomicWriteOptions options;
    options.validate = [&](const fs::path& temp) -> Status {
      seen = temp;
      seen_content = slurp(temp);
      return {};
    };
    REQUIRE(write_file_atomic(target, "new content", options).has_value());
    CHECK(seen.parent_path() == target.parent_path());
    CHECK(seen != target);
    CHECK(seen.filename().string().starts_with(".smb.conf.tmp-"));
    CHECK(seen_content == "new content");
    CHECK(slurp(target) == "new content");
    CHECK_FALSE(fs::exists(seen));
  }

  TEST_CASE("atomic_file: a failed validation keeps the old content and removes the temp file") {
    test::TempDir dir;
    const auto target = dir.path() / "smb.conf";
    std::ofstream(target) << "[good]\n";
    ::chmod(target.c_str(), 0640);
    AtomicWriteOptions options;
    options.validate = [](const fs::path&) -> Status {
      return fail(ErrorCode::bad_request, "testparm: Unknown parameter");
    };
    auto r = write_file_atomic(target, "[bad\n", options);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == Error{ErrorCode::bad_request, "testparm: Unknown parameter"});
    CHECK(slurp(target) == "[good]\n");
    CHECK(mode_of(target) == 0640);
    CHECK(names_in(dir.path()) == std::set<std::string>{"smb.conf"});

    // Same when the target did not exist yet: nothing appears.
    auto fresh = write_file_atomic(dir.path() / "new.conf", "x", options);
    CHECK_FALSE(fresh.has_value());
    CHECK(names_in(dir.path()) == std::set<std::string>{"smb.conf"});
  }

  TEST_CASE("atomic_file: an unwritable directory is an Error naming the path and the reason") {
    test::TempDir dir;
    const auto locked = dir.path() / "locked";
    fs::create_directory(locked);
    ::chmod(locked.c_str(), 0500);
    fs::path where = locked;
    // root ignores permission bits: use sysfs, where even root cannot create files.
    if (std::ofstream(locked / "probe")) {
      fs::remove(locked / "probe");
      where = "/sys";
    }
    auto r = write_file_atomic(where / "file", "content");
    ::chmod(locked.c_str(), 0700);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::internal);
    CHECK(r.error().message.find(where.string()) != std::string::npos);
    CHECK(r.error().message.find("Permission denied") != std::string::npos);
    CHECK(names_in(locked).empty());
  }

  TEST_CASE("atomic_file: a missing directory is not_found") {
    test::TempDir dir;
    auto r = write_file_atomic(dir.path() / "missing" / "file", "x");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::not_found);
    CHECK(r.error().message.find((dir.path() / "missing").string()) != std::string::npos);
    CHECK(r.error().message.find("No such file or directory") != std::string::npos);
  }

  TEST_CASE("atomic_file: a symlink at the target is replaced, its destination untouched") {
    test::TempDir dir;
    const auto real = dir.path() / "real";
    const auto link = dir.path() / "link";
    std::ofstream(real) << "real content";
    fs::create_symlink(real, link);
    REQUIRE(write_file_atomic(link, "replaced").has_value());
    CHECK_FALSE(fs::is_symlink(link));
    CHECK(slurp(link) == "replaced");
    CHECK(slurp(real) == "real content");
  }

  TEST_CASE("atomic_file: owner and group are applied") {
    test::TempDir dir;
    const auto target = dir.path() / "owned";
    AtomicWriteOptions options;
    const bool root = ::geteuid() == 0;
    options.owner_uid = root ? 65534 : ::getuid();
    options.owner_gid = root ? 65534 : ::getgid();
    options.mode = 0640;
    REQUIRE(write_file_atomic(target, "x", options).has_value());
    struct stat st {};
    REQUIRE(::stat(target.c_str(), &st) == 0);
    CHECK(st.st_uid == *options.owner_uid);
    CHECK(st.st_gid == *options.owner_gid);
    CHECK((st.st_mode & 07777) == 0640);

    if (!root) { // chown to someone else is refused, and leaves nothing behind
      options.owner_uid = 0;
      auto r = write_file_atomic(dir.path() / "refused", "x", options);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().message.find("owner") != std::string::npos);
      CHECK(names_in(dir.path()) == std::set<std::string>{"owned"});
    }
  }

  TEST_CASE("atomic_file: concurrent writers never leave a mixed or partial file") {
    test::TempDir dir;
    const auto target = dir.path() / "contended";
    std::vector<std::string> contents;
    for (int t = 0; t < 4; ++t) {
      contents.push_back(std::string(200000, static_cast<char>('a' + t)));
    }
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 15; ++i) {
          if (!write_file_atomic(target, contents[static_cast<std::size_t>(t)])) {
            ++failures;
          }
        }
      });
    }
    std::atomic<int> bad_reads{0};
    std::thread reader([&] {
      for (int i = 0; i < 200; ++i) {
        auto content = read_file(target, 1 << 20);
        if (content && std::find(contents.begin(), contents.end(), *content) == contents.end()) {
          ++bad_reads;
        }
      }
    });
    for (auto& thread : threads) {
      thread.join();
    }
    reader.join();
    CHECK(failures.load() == 0);
    CHECK(bad_reads.load() == 0);
    CHECK(std::find(contents.begin(), contents.end(), slurp(target)) != contents.end());
    CHECK(names_in(dir.path()) == std::set<std::string>{"contended"});
  }

  TEST_CASE("atomic_file: read_file reads whole files up to a limit") {
    test::TempDir dir;
    const auto file = dir.path() / "f";
    std::ofstream(file) << "0123456789";
    CHECK(*read_file(file, 10) == "0123456789");
    CHECK(*read_file(file, 1000) == "0123456789");

    auto big = read_file(file, 9);
    REQUIRE_FALSE(big.has_value());
    CHECK(big.error().code == ErrorCode::payload_too_large);
    CHECK(big.error().message.find(file.string()) != std::string::npos);

    auto missing = read_file(dir.path() / "missing", 10);
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == ErrorCode::not_found);
    CHECK(missing.error().message.find("missing") != std::string::npos);

    auto directory = read_file(dir.path(), 10);
    REQUIRE_FALSE(directory.has_value());
    CHECK(directory.error().code == ErrorCode::internal);

    std::ofstream(dir.path() / "empty");
    CHECK(read_file(dir.path() / "empty", 0)->empty());

    // Files whose size stat() does not know (procfs) are still bounded and read.
    auto status = read_file("/proc/self/status", 1 << 20);
    REQUIRE(status.has_value());
    CHECK(status->find("Pid:") != std::string::npos);
    auto limited = read_file("/proc/self/status", 16);
    REQUIRE_FALSE(limited.has_value());
    CHECK(limited.error().code == ErrorCode::payload_too_large);
  }

} // TEST_SUITE("util")
