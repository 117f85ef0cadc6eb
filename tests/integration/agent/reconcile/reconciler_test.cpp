// The reconciler against a real private smbd (tests/support SmbdServer) whose smb.conf includes
// the agent's include file, a SQLite store and a dir-driver filesystem: a pending space and its
// share become ready, the owner lists the share with smbclient, a second pass changes nothing
// (idempotent), and a hand edit of the include file is repaired by the next pass.
#include <doctest/doctest.h>

#include "agent/reconcile/reconciler.hpp"
#include "agent/reconcile/register.hpp"
#include "agent/store/store.hpp"
#include "common/util/atomic_file.hpp"
#include "tests/support/require.hpp"
#include "tests/support/smbd_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace sharectl;

constexpr const char* k_password = "Reconcile-pw-1";

} // namespace

TEST_CASE("reconciler: pending space and share become ready and are served by smbd") {
  SHARECTL_REQUIRE_ROOT();
  SHARECTL_REQUIRE_PROGRAMS("smbd", "smbclient", "testparm", "smbcontrol");
  test::SmbdServer smbd;
  test::TempDir dir;
  const auto include = dir.path() / "sharectl.conf";
  SHARECTL_REQUIRE_OK(smbd.add_include(include));
  auto owner = smbd.add_user("owner", k_password);
  REQUIRE_MESSAGE(owner.has_value(), test::error_text(owner));
  auto root = smbd.make_directory("fs");
  REQUIRE_MESSAGE(root.has_value(), test::error_text(root));
  SHARECTL_REQUIRE_OK(smbd.start());

  auto opened = store::open_store("sqlite://" + (dir.path() / "state.db").string());
  REQUIRE_MESSAGE(opened.has_value(), test::error_text(opened));
  auto& store = **opened;
  config::AgentConfig cfg;
  cfg.server.name = "testhost";
  cfg.samba.config = smbd.config_path();
  cfg.samba.include = include;
  // The owner's account and SMB password come from outside sharectl (like a domain's): with
  // local accounts the agent would refuse to act as an account it did not make.
  cfg.samba.accounts = config::SambaAccounts::external;
  cfg.filesystems = {{*root, config::FilesystemDriver::dir}};
  auto registered = agent::reconcile::register_host(store, cfg);
  REQUIRE_MESSAGE(registered.has_value(), test::error_text(registered));
  REQUIRE(registered->filesystems.size() == 1);

  auto made = store.transact_result([&](store::Tx& tx) -> Result<model::Share> {
    model::User user;
    user.username = (*owner)->name();
    auto stored_user = tx.create(user);
    if (!stored_user) {
      return std::unexpected(stored_user.error());
    }
    model::Space space;
    space.owner_id = stored_user->id;
    space.name = "projects";
    space.size_bytes = 1024 * 1024;
    space.filesystem_id = registered->filesystems.front().id;
    space.path = (*root / user.username / "projects").string();
    auto stored_space = tx.create(space);
    if (!stored_space) {
      return std::unexpected(stored_space.error());
    }
    model::Share share;
    share.name = "projects";
    share.space_id = stored_space->id;
    return tx.create(share);
  });
  REQUIRE_MESSAGE(made.has_value(), test::error_text(made));

  auto runner = make_process_runner();
  agent::reconcile::Reconciler reconciler(store, cfg, *runner);
  SHARECTL_REQUIRE_OK(reconciler.prepare());
  SHARECTL_REQUIRE_OK(reconciler.run_once());
  auto share = store.view_result([&](store::Tx& tx) { return tx.get<model::Share>(made->id); });
  auto space =
      store.view_result([&](store::Tx& tx) { return tx.get<model::Space>(made->space_id); });
  REQUIRE(share.has_value());
  REQUIRE(space.has_value());
  CHECK_MESSAGE(space->status == model::ObjectStatus::ready, space->status_message);
  CHECK_MESSAGE(share->status == model::ObjectStatus::ready, share->status_message);

  const auto before = store.current_revision();
  SHARECTL_REQUIRE_OK(reconciler.run_once());
  CHECK(store.current_revision() == before);

  auto listed = smbd.smbclient("projects", (*owner)->name(), k_password, "mkdir made; ls");
  REQUIRE_MESSAGE(listed.has_value(), test::error_text(listed));
  CHECK_MESSAGE(listed->find("NT_STATUS_") == std::string::npos, *listed);
  CHECK_MESSAGE(listed->find("made") != std::string::npos, *listed);

  // A hand edit of the include file (drift) is repaired by the next pass, without a store write.
  auto rendered = read_file(include, 1 << 20);
  REQUIRE(rendered.has_value());
  SHARECTL_REQUIRE_OK(write_file_atomic(include, "[projects]\n\tpath = /tmp\n\tguest ok = yes\n"));
  const auto drifted = store.current_revision();
  SHARECTL_REQUIRE_OK(reconciler.run_once());
  CHECK(read_file(include, 1 << 20).value_or("") == *rendered);
  CHECK(store.current_revision() == drifted);
  auto again = smbd.smbclient("projects", (*owner)->name(), k_password, "ls");
  REQUIRE(again.has_value());
  CHECK_MESSAGE(again->find("made") != std::string::npos, *again);
}
