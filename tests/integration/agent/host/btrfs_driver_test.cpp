// BtrfsDriver against a real loop-mounted btrfs: a 10 MiB limit stops writes, a resize lets
// more in, shrinking below usage is refused, deletion removes the subvolume and its qgroup.
#include <cerrno>
#include <filesystem>
#include <string>

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/host/storage/btrfs_driver.hpp"
#include "tests/integration/agent/host/btrfs_fixture.hpp"
#include "tests/support/require.hpp"

using namespace sharectl;
using namespace sharectl::agent::host;

namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t k_mib = 1024 * 1024;

// Appends mib MiB to file with write(2) and fsync; 0 on success, else the errno that stopped it.
int append_mib(const fs::path& file, int mib) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return errno;
  }
  const std::string block(64 * 1024, 'x');
  int error = 0;
  for (int i = 0; i < mib * 16 && error == 0; ++i) {
    std::size_t done = 0;
    while (done < block.size() && error == 0) { // a short write is followed by the real error
      const ssize_t n = ::write(fd, block.data() + done, block.size() - done);
      if (n < 0) {
        error = errno;
      } else {
        done += static_cast<std::size_t>(n);
      }
    }
  }
  if (error == 0 && ::fsync(fd) != 0) {
    error = errno;
  }
  ::close(fd);
  return error;
}

} // namespace

TEST_SUITE("host") {

  TEST_CASE("btrfs driver: limit, resize, shrink refused, delete on a real filesystem") {
    SHARECTL_REQUIRE_ROOT();
    SHARECTL_REQUIRE_PROGRAMS("btrfs", "mkfs.btrfs", "losetup", "mount", "umount");
    auto btrfs = test::LoopBtrfs::create();
    if (!test::prerequisite(btrfs.has_value(),
                            "a loop-mounted btrfs: " + test::error_text(btrfs))) {
      return;
    }
    auto runner = make_process_runner();
    const fs::path root = (*btrfs)->mount_point();
    BtrfsDriver driver(*runner, root);
    const fs::path space = root / "alice" / "projects";
    SHARECTL_REQUIRE_OK(driver.create(SpaceSpec{space, 65534, 65534, 10 * k_mib}));
    struct stat st {};
    REQUIRE(::lstat(space.c_str(), &st) == 0);
    CHECK(st.st_ino == 256); // a subvolume root
    CHECK((st.st_mode & 07777) == 0750);
    CHECK(st.st_uid == 65534);
    SHARECTL_CHECK_OK(driver.create(SpaceSpec{space, 65534, 65534, 10 * k_mib})); // idempotent

    CHECK(append_mib(space / "a", 8) == 0);
    const int error = append_mib(space / "b", 4);
    CHECK_MESSAGE((error == EDQUOT || error == ENOSPC), "write past the limit: errno " << error);

    SHARECTL_REQUIRE_OK(driver.resize(space, 20 * k_mib));
    ::unlink((space / "b").c_str());
    CHECK(append_mib(space / "c", 6) == 0);

    auto refused = driver.resize(space, 5 * k_mib);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == ErrorCode::conflict);
    CHECK(refused.error().message.find("SPACE-SHRINK-BELOW-USAGE: the space uses 1") !=
          std::string::npos);
    auto used = driver.usage(space);
    SHARECTL_REQUIRE_OK(used);
    CHECK(*used >= 14 * k_mib);
    CHECK(*used <= 20 * k_mib);

    SHARECTL_REQUIRE_OK(driver.remove(space));
    CHECK_FALSE(fs::exists(space));
    SHARECTL_CHECK_OK(driver.remove(space)); // idempotent
    auto qgroups = runner->run(host_command("btrfs", {"qgroup", "show", "--raw", root.string()}));
    SHARECTL_REQUIRE_OK(qgroups);
    CHECK(qgroups->out.find("0/256 ") == std::string::npos); // its qgroup is gone too
  }

} // TEST_SUITE
