// A btrfs filesystem on a loop device for integration tests: a sparse image in a fresh TempDir,
// `mkfs.btrfs -q`, `losetup --find --show`, mounted on <dir>/mnt (the directory made 0755 so SMB
// users' accounts can traverse it). The destructor unmounts (lazily if busy), detaches the loop
// device and removes the directory, whatever the test did. Header-only: the integration binary
// compiles *_test.cpp files only.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "agent/host/command.hpp"
#include "common/util/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sharectl::test {

// One loop-mounted btrfs filesystem. Needs root, mkfs.btrfs, losetup, mount and umount.
class LoopBtrfs {
public:
  // Makes and mounts a filesystem of size_mib MiB; the Error names the failing step.
  static Result<std::unique_ptr<LoopBtrfs>> create(int size_mib = 256) {
    std::unique_ptr<LoopBtrfs> fs(new LoopBtrfs());
    namespace stdfs = std::filesystem;
    stdfs::permissions(fs->m_dir.path(), stdfs::perms::owner_all | stdfs::perms::group_read |
                                             stdfs::perms::group_exec | stdfs::perms::others_read |
                                             stdfs::perms::others_exec);
    const stdfs::path image = fs->m_dir.path() / "btrfs.img";
    if (auto status = fs->run("truncate", {"-s", std::to_string(size_mib) + "M", image.string()});
        !status) {
      return std::unexpected(status.error());
    }
    if (auto status = fs->run("mkfs.btrfs", {"-q", image.string()}); !status) {
      return std::unexpected(status.error());
    }
    auto loop = fs->m_runner->run(
        agent::host::host_command("losetup", {"--find", "--show", image.string()}));
    if (!loop) {
      return std::unexpected(loop.error());
    }
    if (!loop->ok()) {
      return fail(ErrorCode::unavailable, "losetup: " + loop->err);
    }
    fs->m_loop = loop->out.substr(0, loop->out.find('\n'));
    stdfs::create_directory(fs->mount_point());
    if (auto status = fs->run("mount", {fs->m_loop, fs->mount_point().string()}); !status) {
      return std::unexpected(status.error());
    }
    fs->m_mounted = true;
    return fs;
  }

  ~LoopBtrfs() {
    if (m_mounted) {
      if (!run("umount", {mount_point().string()})) {
        (void)run("umount", {"--lazy", mount_point().string()});
      }
    }
    if (!m_loop.empty()) {
      (void)run("losetup", {"-d", m_loop});
    }
  }
  LoopBtrfs(const LoopBtrfs&) = delete;
  LoopBtrfs& operator=(const LoopBtrfs&) = delete;

  // Where the filesystem is mounted.
  std::filesystem::path mount_point() const { return m_dir.path() / "mnt"; }
  // The loop device, e.g. /dev/loop3.
  const std::string& device() const { return m_loop; }

private:
  LoopBtrfs() : m_runner(make_process_runner()) {}

  Status run(std::string program, std::vector<std::string> args) {
    const Command command = agent::host::host_command(std::move(program), std::move(args));
    auto result = m_runner->run(command);
    if (!result) {
      return std::unexpected(result.error());
    }
    return check_exit(command, *result);
  }

  TempDir m_dir;
  std::unique_ptr<ProcessRunner> m_runner;
  std::string m_loop;
  bool m_mounted = false;
};

} // namespace sharectl::test
