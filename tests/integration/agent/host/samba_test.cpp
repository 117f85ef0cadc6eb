// The include file against a real private smbd: rendered shares over space directories serve
// the owner (write), a reader (read only) and refuse a stranger; a revoke bites on the next
// connection; hostile input and testparm rejections leave the old file; a btrfs limit shows up
// over SMB as NT_STATUS_DISK_FULL; ensure_include is idempotent on a real smb.conf.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "agent/host/samba/config_writer.hpp"
#include "agent/host/samba/render.hpp"
#include "agent/host/storage/btrfs_driver.hpp"
#include "agent/host/storage/dir_driver.hpp"
#include "common/util/atomic_file.hpp"
#include "tests/integration/agent/host/btrfs_fixture.hpp"
#include "tests/support/require.hpp"
#include "tests/support/smbd_fixture.hpp"

using namespace sharectl;
using namespace sharectl::agent::host;

namespace {

namespace fs = std::filesystem;

bool smbd_prerequisites() {
  return test::running_as_root() &&
         test::programs_available(
             {"smbd", "smbclient", "smbcontrol", "smbpasswd", "testparm", "useradd", "userdel"});
}

std::string read_all(const fs::path& path) {
  auto text = read_file(path, 64 << 20);
  return text ? *text : std::string("<missing>");
}

ShareView view_of(std::string name, const fs::path& space, const test::TestUser& owner) {
  ShareView view;
  view.share.name = std::move(name);
  view.space.path = space.string();
  view.owner = owner.name();
  return view;
}

// A local file of `bytes` bytes for smbclient's put.
fs::path local_file(const fs::path& dir, std::string name, std::size_t bytes) {
  const fs::path path = dir / name;
  std::ofstream(path) << std::string(bytes, 'z');
  return path;
}

} // namespace

TEST_SUITE("host") {

  TEST_CASE("samba: owner writes, reader reads only, stranger refused, revoke bites") {
    if (!smbd_prerequisites()) {
      return;
    }
    test::SmbdServer server;
    const std::string pw = "Pw-" + test::random_hex(12);
    auto owner = server.add_user("owner", pw);
    auto reader = server.add_user("reader", pw);
    auto stranger = server.add_user("stranger", pw);
    SHARECTL_REQUIRE_OK(owner);
    SHARECTL_REQUIRE_OK(reader);
    SHARECTL_REQUIRE_OK(stranger);
    auto spaces = server.make_directory("spaces");
    SHARECTL_REQUIRE_OK(spaces);
    const fs::path include = server.dir() / "sharectl.conf";
    SHARECTL_REQUIRE_OK(server.add_include(include));
    SHARECTL_REQUIRE_OK(server.start());

    auto runner = make_process_runner();
    DirDriver driver(*runner, *spaces);
    const auto& o = **owner;
    for (const char* name : {"proj", "other"}) {
      SHARECTL_REQUIRE_OK(driver.create(SpaceSpec{*spaces / o.name() / name, o.uid(), o.gid(), 1}));
    }
    SambaConfigWriter writer(*runner, {server.config_path(), include});
    ShareView proj = view_of("proj", *spaces / o.name() / "proj", o);
    proj.share.comment = "Projects of the team";
    proj.grants = {{(*reader)->name(), model::ShareLevel::read}};
    const ShareView other = view_of("other", *spaces / o.name() / "other", o);
    auto text = render_shares({proj, other});
    SHARECTL_REQUIRE_OK(text);
    auto report = writer.apply(*text);
    SHARECTL_REQUIRE_OK(report);
    CHECK(report->written);
    CHECK(report->reloaded);

    const fs::path upload = local_file(server.dir(), "upload.txt", 100);
    auto wrote =
        server.smbclient("proj", o.name(), pw, "put " + upload.string() + " hello.txt; ls");
    SHARECTL_REQUIRE_OK(wrote);
    CHECK_MESSAGE(wrote->find("NT_STATUS_") == std::string::npos, *wrote);
    CHECK(wrote->find("hello.txt") != std::string::npos);
    struct stat st {};
    REQUIRE(::stat((*spaces / o.name() / "proj" / "hello.txt").c_str(), &st) == 0);
    CHECK(st.st_uid == o.uid()); // force user: files belong to the owner
    CHECK((st.st_mode & 0777) == 0640);

    auto read = server.smbclient("proj", (*reader)->name(), pw,
                                 "get hello.txt " + (server.dir() / "got.txt").string());
    SHARECTL_REQUIRE_OK(read);
    CHECK_MESSAGE(read->find("NT_STATUS_") == std::string::npos, *read);
    CHECK(fs::file_size(server.dir() / "got.txt") == 100);
    auto denied_put =
        server.smbclient("proj", (*reader)->name(), pw, "put " + upload.string() + " reader.txt");
    SHARECTL_REQUIRE_OK(denied_put);
    CHECK_MESSAGE(denied_put->find("NT_STATUS_ACCESS_DENIED") != std::string::npos, *denied_put);

    auto stranger_ls = server.smbclient("proj", (*stranger)->name(), pw, "ls");
    SHARECTL_REQUIRE_OK(stranger_ls);
    CHECK_MESSAGE(stranger_ls->find("NT_STATUS_ACCESS_DENIED") != std::string::npos, *stranger_ls);
    auto reader_other = server.smbclient("other", (*reader)->name(), pw, "ls");
    SHARECTL_REQUIRE_OK(reader_other);
    CHECK_MESSAGE(reader_other->find("NT_STATUS_ACCESS_DENIED") != std::string::npos,
                  *reader_other);

    SUBCASE("revoking the reader closes the share and refuses the next connection") {
      proj.grants.clear();
      auto revoked = render_shares({proj, other});
      SHARECTL_REQUIRE_OK(revoked);
      auto revoke_report = writer.apply(*revoked);
      SHARECTL_REQUIRE_OK(revoke_report);
      CHECK(revoke_report->closed == std::vector<std::string>{"proj"});
      auto after = server.smbclient("proj", (*reader)->name(), pw, "ls");
      SHARECTL_REQUIRE_OK(after);
      CHECK_MESSAGE(after->find("NT_STATUS_ACCESS_DENIED") != std::string::npos, *after);
      auto owner_still = server.smbclient("proj", o.name(), pw, "ls");
      SHARECTL_REQUIRE_OK(owner_still);
      CHECK_MESSAGE(owner_still->find("NT_STATUS_") == std::string::npos, *owner_still);
    }
    SUBCASE("hostile input and testparm rejections leave the file byte-identical") {
      const std::string before = read_all(include);
      ShareView hostile = proj;
      hostile.share.comment = "x\n[global]\n\tinclude = /etc/passwd";
      CHECK_FALSE(render_shares({hostile, other}).has_value());
      hostile = proj;
      hostile.share.name = "evil]\n[x";
      CHECK_FALSE(render_shares({hostile}).has_value());
      auto refused = writer.apply(*text + "\n[bad]\n\tpath = /tmp\n\tbogus parameter = 1\n");
      REQUIRE_FALSE(refused.has_value());
      CHECK(refused.error().message.find("bogus") != std::string::npos);
      auto broken = writer.apply(*text + "\n[broken\n");
      REQUIRE_FALSE(broken.has_value());
      CHECK(read_all(include) == before);
      auto noop = writer.apply(*text);
      SHARECTL_REQUIRE_OK(noop);
      CHECK_FALSE(noop->written);
      CHECK_FALSE(noop->reloaded);
    }
  }

  TEST_CASE("samba: a btrfs quota shows up over SMB as NT_STATUS_DISK_FULL") {
    if (!smbd_prerequisites()) {
      return;
    }
    SHARECTL_REQUIRE_PROGRAMS("btrfs", "mkfs.btrfs", "losetup", "mount", "umount");
    auto btrfs = test::LoopBtrfs::create();
    if (!test::prerequisite(btrfs.has_value(),
                            "a loop-mounted btrfs: " + test::error_text(btrfs))) {
      return;
    }
    test::SmbdServer server;
    const std::string pw = "Pw-" + test::random_hex(12);
    auto owner = server.add_user("quota", pw);
    SHARECTL_REQUIRE_OK(owner);
    const fs::path include = server.dir() / "sharectl.conf";
    SHARECTL_REQUIRE_OK(server.add_include(include));
    SHARECTL_REQUIRE_OK(server.start());
    auto runner = make_process_runner();
    BtrfsDriver driver(*runner, (*btrfs)->mount_point());
    const fs::path space = (*btrfs)->mount_point() / (*owner)->name() / "small";
    SHARECTL_REQUIRE_OK(
        driver.create(SpaceSpec{space, (*owner)->uid(), (*owner)->gid(), 2 * 1024 * 1024}));
    SambaConfigWriter writer(*runner, {server.config_path(), include});
    auto text = render_shares({view_of("small", space, **owner)});
    SHARECTL_REQUIRE_OK(text);
    SHARECTL_REQUIRE_OK(writer.apply(*text));
    const fs::path fits = local_file(server.dir(), "fits.bin", 1024 * 1024);
    const fs::path big = local_file(server.dir(), "big.bin", 3 * 1024 * 1024);
    auto ok = server.smbclient("small", (*owner)->name(), pw, "put " + fits.string() + " fits.bin");
    SHARECTL_REQUIRE_OK(ok);
    CHECK_MESSAGE(ok->find("NT_STATUS_") == std::string::npos, *ok);
    auto full = server.smbclient("small", (*owner)->name(), pw, "put " + big.string() + " big.bin");
    SHARECTL_REQUIRE_OK(full);
    CHECK_MESSAGE(full->find("NT_STATUS_DISK_FULL") != std::string::npos, *full);
    SHARECTL_REQUIRE_OK(server.stop()); // nothing holds the filesystem when it is unmounted
    SHARECTL_CHECK_OK(driver.remove(space));
  }

  TEST_CASE("samba: ensure_include is idempotent on a real smb.conf") {
    if (!test::programs_available({"testparm"})) {
      return;
    }
    test::TempDir dir;
    const fs::path conf = dir.path() / "smb.conf";
    const fs::path source =
        fs::exists("/etc/samba/smb.conf") ? fs::path("/etc/samba/smb.conf") : fs::path();
    if (!source.empty()) {
      fs::copy_file(source, conf);
    } else {
      std::ofstream(conf) << "[global]\n\tworkgroup = WORKGROUP\n\n[homes]\n\tbrowseable = no\n";
    }
    const std::string original = read_all(conf);
    auto runner = make_process_runner();
    const fs::path include = dir.path() / "sharectl.conf";
    std::ofstream(include) << k_include_header << "\n";
    auto first = ensure_include(*runner, conf, include);
    SHARECTL_REQUIRE_OK(first);
    CHECK(*first);
    const std::string once = read_all(conf);
    const std::string line = "\tinclude = " + include.string() + "\n";
    CHECK(once.find(line) != std::string::npos);
    CHECK(once.find(line) == once.rfind(line));
    CHECK(once.size() == original.size() + line.size()); // nothing else changed
    auto second = ensure_include(*runner, conf, include);
    SHARECTL_REQUIRE_OK(second);
    CHECK_FALSE(*second);
    CHECK(read_all(conf) == once);
    auto parsed = runner->run(host_command("testparm", {"-s", "--suppress-prompt", conf.string()}));
    SHARECTL_REQUIRE_OK(parsed);
    CHECK(parsed->ok());
  }

} // TEST_SUITE
