// The reconciler's SMB accounts and resizes against real parts: a private smbd including the
// agent's file, a SQLite store, Unix accounts made by the reconciler. Accounts: the owner and an
// active grantee log in with the password whose NT hash the store holds; an idle pass runs no
// command at all; a changed hash is provisioned; a disabled user is refused and comes back when
// enabled; a revoked, then deleted user loses the passdb entry and the Unix account. Resize (btrfs
// on a loop image): growing applies, shrinking below the usage leaves status error with
// SPACE-SHRINK-BELOW-USAGE, the old limit and the share served.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include <doctest/doctest.h>

#include "agent/host/samba/accounts.hpp"
#include "agent/reconcile/reconciler.hpp"
#include "agent/reconcile/register.hpp"
#include "agent/store/store.hpp"
#include "common/util/nt_hash.hpp"
#include "tests/integration/agent/host/accounts_guard.hpp"
#include "tests/integration/agent/host/btrfs_fixture.hpp"
#include "tests/support/require.hpp"
#include "tests/support/smbd_fixture.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_user.hpp"

namespace {

using namespace sharectl;

// The real runner, counting the commands it runs.
class CountingRunner : public ProcessRunner {
public:
  Result<ProcessResult> run(const Command& command) override {
    ++count;
    return m_real->run(command);
  }
  std::atomic<int> count{0};

private:
  std::unique_ptr<ProcessRunner> m_real = make_process_runner();
};

// A store, a private smbd including the agent's file and a filesystem registered for this host.
struct Host {
  test::SmbdServer smbd;
  test::TempDir dir;
  std::unique_ptr<store::Store> store;
  config::AgentConfig cfg;
  model::Id fs_id;

  void open(const std::filesystem::path& root, config::FilesystemDriver driver) {
    const auto include = dir.path() / "sharectl.conf";
    SHARECTL_REQUIRE_OK(smbd.add_include(include));
    SHARECTL_REQUIRE_OK(smbd.start());
    auto opened = store::open_store("sqlite://" + (dir.path() / "state.db").string());
    REQUIRE_MESSAGE(opened.has_value(), test::error_text(opened));
    store = std::move(*opened);
    cfg.server.name = "testhost";
    cfg.samba.config = smbd.config_path();
    cfg.samba.include = include;
    cfg.filesystems = {{root, driver}};
    auto registered = agent::reconcile::register_host(*store, cfg);
    REQUIRE_MESSAGE(registered.has_value(), test::error_text(registered));
    REQUIRE(registered->filesystems.size() == 1);
    fs_id = registered->filesystems.front().id;
  }

  model::User add_user(const std::string& name, const std::string& password) {
    auto user = store->transact_result([&](store::Tx& tx) -> Result<model::User> {
      model::User u;
      u.username = name;
      auto stored = tx.create(u);
      if (!stored) {
        return stored;
      }
      if (auto set = tx.set_user_secrets(stored->id, {"x", *nt_hash_hex(password)}); !set) {
        return std::unexpected(set.error());
      }
      return tx.get<model::User>(stored->id);
    });
    REQUIRE_MESSAGE(user.has_value(), test::error_text(user));
    return *user;
  }

  // A space of owner with a share of the same name.
  model::Share add_space(const model::User& owner, const std::filesystem::path& root,
                         const std::string& name, std::uint64_t size) {
    auto made = store->transact_result([&](store::Tx& tx) -> Result<model::Share> {
      model::Space space;
      space.owner_id = owner.id;
      space.name = name;
      space.size_bytes = size;
      space.filesystem_id = fs_id;
      space.path = (root / owner.username / name).string();
      auto stored = tx.create(space);
      if (!stored) {
        return std::unexpected(stored.error());
      }
      model::Share share;
      share.name = name;
      share.space_id = stored->id;
      return tx.create(share);
    });
    REQUIRE_MESSAGE(made.has_value(), test::error_text(made));
    return *made;
  }

  void change(const std::function<Status(store::Tx&)>& fn) {
    SHARECTL_REQUIRE_OK(store->transact(fn));
  }

  model::Space space(const model::Id& id) {
    auto got = store->view_result([&](store::Tx& tx) { return tx.get<model::Space>(id); });
    REQUIRE_MESSAGE(got.has_value(), test::error_text(got));
    return *got;
  }

  bool logs_in(const std::string& share, const std::string& user, const std::string& password) {
    auto out = smbd.smbclient(share, user, password, "ls");
    REQUIRE_MESSAGE(out.has_value(), test::error_text(out));
    return out->find("NT_STATUS_") == std::string::npos;
  }
};

} // namespace

TEST_CASE("reconciler: SMB accounts follow the store (hash, passwd, disable, revoke, delete)") {
  SHARECTL_REQUIRE_ROOT();
  SHARECTL_REQUIRE_PROGRAMS("smbd", "smbclient", "testparm", "smbcontrol", "smbstatus", "pdbedit",
                            "smbpasswd", "useradd", "userdel");
  Host host;
  auto root = host.smbd.make_directory("fs");
  REQUIRE_MESSAGE(root.has_value(), test::error_text(root));
  host.open(*root, config::FilesystemDriver::dir);
  const std::string tag = std::to_string(::getpid()) + "_" + test::random_hex(4);
  const std::string owner_name = "sctest_rowner_" + tag;
  const std::string reader_name = "sctest_rreader_" + tag;
  test::SmbAccountsGuard guard{host.smbd.config_path(), {owner_name, reader_name}};
  const auto owner = host.add_user(owner_name, "owner password 1");
  const auto reader = host.add_user(reader_name, "reader password 1");
  const auto share = host.add_space(owner, *root, "docs", 1 << 20);
  host.change([&](store::Tx& tx) -> Status {
    auto granted =
        tx.grant_user(share.id, reader.id, model::ShareLevel::read, model::AclState::active);
    return granted ? Status{} : Status(std::unexpected(granted.error()));
  });

  CountingRunner runner;
  agent::reconcile::Reconciler reconciler(*host.store, host.cfg, runner);
  SHARECTL_REQUIRE_OK(reconciler.prepare());
  SHARECTL_REQUIRE_OK(reconciler.run_once());
  agent::host::SambaAccounts accounts(runner, host.smbd.config_path());
  CHECK(*accounts.is_ours(owner_name));
  CHECK(*accounts.is_ours(reader_name));
  CHECK(host.logs_in("docs", owner_name, "owner password 1"));
  CHECK(host.logs_in("docs", reader_name, "reader password 1"));

  // Idle: no store write and not a single command.
  SHARECTL_REQUIRE_OK(reconciler.run_once()); // settles the statuses written by the first pass
  const auto revision = host.store->current_revision();
  const int commands = runner.count;
  SHARECTL_REQUIRE_OK(reconciler.run_once());
  CHECK(host.store->current_revision() == revision);
  CHECK(runner.count == commands);

  // passwd: the new hash is provisioned once.
  host.change([&](store::Tx& tx) -> Status {
    auto set = tx.set_user_secrets(reader.id, {"x", *nt_hash_hex("reader password 2")});
    return set ? Status{} : Status(std::unexpected(set.error()));
  });
  SHARECTL_REQUIRE_OK(reconciler.run_once());
  CHECK(host.logs_in("docs", reader_name, "reader password 2"));
  CHECK_FALSE(host.logs_in("docs", reader_name, "reader password 1"));

  // Disabled: refused; enabled again: back.
  auto set_active = [&](bool active) {
    host.change([&](store::Tx& tx) -> Status {
      auto user = tx.get<model::User>(reader.id);
      if (!user) {
        return std::unexpected(user.error());
      }
      user->is_active = active;
      auto updated = tx.update(*user);
      return updated ? Status{} : Status(std::unexpected(updated.error()));
    });
    SHARECTL_REQUIRE_OK(reconciler.run_once());
  };
  set_active(false);
  CHECK_FALSE(host.logs_in("docs", reader_name, "reader password 2"));
  std::ifstream rendered(host.cfg.samba.include);
  const std::string text(std::istreambuf_iterator<char>(rendered), {});
  CHECK_MESSAGE(text.find(reader_name) == std::string::npos, text);
  set_active(true);
  CHECK(host.logs_in("docs", reader_name, "reader password 2"));

  // Revoked (no other reason for an account here): passdb entry and Unix account go.
  host.change([&](store::Tx& tx) { return tx.revoke_user(share.id, reader.id); });
  SHARECTL_REQUIRE_OK(reconciler.run_once());
  // userdel waits for the smbd process of the reader's last connection to end: the next passes
  // retry.
  for (int i = 0; i < 20 && test::unix_user_exists(reader_name); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    SHARECTL_REQUIRE_OK(reconciler.run_once());
  }
  CHECK_FALSE(test::unix_user_exists(reader_name));
  auto listed = accounts.passdb_users();
  SHARECTL_REQUIRE_OK(listed);
  CHECK(std::ranges::find(*listed, reader_name) == listed->end());
  CHECK(host.logs_in("docs", owner_name, "owner password 1"));

  // A fresh reconciler (agent restart) finds nothing to do for the accounts it already made,
  // beyond provisioning each wanted user once.
  agent::reconcile::Reconciler restarted(*host.store, host.cfg, runner);
  SHARECTL_REQUIRE_OK(restarted.run_once());
  CHECK(host.logs_in("docs", owner_name, "owner password 1"));
}

TEST_CASE("reconciler: btrfs resize grows, shrinking below usage is refused, share stays") {
  SHARECTL_REQUIRE_ROOT();
  SHARECTL_REQUIRE_PROGRAMS("smbd", "smbclient", "testparm", "smbcontrol", "pdbedit", "smbpasswd",
                            "useradd", "userdel", "mkfs.btrfs", "losetup", "btrfs");
  auto btrfs = test::LoopBtrfs::create(256);
  REQUIRE_MESSAGE(btrfs.has_value(), test::error_text(btrfs));
  Host host;
  const auto root = (*btrfs)->mount_point();
  host.open(root, config::FilesystemDriver::btrfs);
  const std::string owner_name =
      "sctest_rsize_" + std::to_string(::getpid()) + "_" + test::random_hex(4);
  test::SmbAccountsGuard guard{host.smbd.config_path(), {owner_name}};
  const auto owner = host.add_user(owner_name, "owner password 1");
  const auto share = host.add_space(owner, root, "data", 20u << 20);
  auto runner = make_process_runner();
  agent::reconcile::Reconciler reconciler(*host.store, host.cfg, *runner);
  SHARECTL_REQUIRE_OK(reconciler.prepare());
  SHARECTL_REQUIRE_OK(reconciler.run_once());
  REQUIRE(host.space(share.space_id).status == model::ObjectStatus::ready);
  {
    std::ofstream out(root / owner_name / "data" / "blob", std::ios::binary);
    out << std::string(12u << 20, 'x');
  }
  auto resize = [&](std::uint64_t size) {
    host.change([&](store::Tx& tx) -> Status {
      auto space = tx.get<model::Space>(share.space_id);
      if (!space) {
        return std::unexpected(space.error());
      }
      space->size_bytes = size;
      space->status = model::ObjectStatus::pending;
      auto updated = tx.update(*space);
      return updated ? Status{} : Status(std::unexpected(updated.error()));
    });
    SHARECTL_REQUIRE_OK(reconciler.run_once());
    return host.space(share.space_id);
  };
  const auto shrunk = resize(10u << 20);
  CHECK(shrunk.status == model::ObjectStatus::error);
  CHECK_MESSAGE(shrunk.status_message.find("SPACE-SHRINK-BELOW-USAGE") != std::string::npos,
                shrunk.status_message);
  CHECK(host.logs_in("data", owner_name, "owner password 1"));
  // The old 20 MiB limit is still in force: 12 MiB more do not fit.
  const auto blob2 = host.dir.path() / "blob2";
  {
    std::ofstream out(blob2, std::ios::binary);
    out << std::string(12u << 20, 'y');
  }
  auto full = host.smbd.smbclient("data", owner_name, "owner password 1",
                                  "put " + blob2.string() + " blob2");
  REQUIRE(full.has_value());
  CHECK_MESSAGE(full->find("NT_STATUS_DISK_FULL") != std::string::npos, *full);
  CHECK(resize(48u << 20).status == model::ObjectStatus::ready);
  auto fits = host.smbd.smbclient("data", owner_name, "owner password 1",
                                  "put " + blob2.string() + " blob2");
  REQUIRE(fits.has_value());
  CHECK_MESSAGE(fits->find("NT_STATUS_") == std::string::npos, *fits);
}
