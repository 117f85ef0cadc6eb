// The security review's findings, each from the attacker's side with the real `sharectl-agent`,
// the real `sharectl` and (for identities) a private smbd over a `dir` filesystem:
//
// 1. Unix identities: registering as `daemon`, `root` or an existing login account is refused
//    (409, exit 6) and creates nothing; a sharectl user whose name is a Unix account sharectl did
//    not make (registered before that account appeared, as on another host) gets their space in
//    `error` with the reason and no directory owned by that uid, and a grant to them renders no
//    access: the host's own user of that name is refused over SMB.
// 2. Escalation: a maintainer adding themselves to a group bound to `admin` is 403 and the group
//    is unchanged; a manager (flag) can neither join it nor bind `admin` to themselves; a custom
//    role allowed to bind roles neither binds `admin` nor widens itself; an admin still can, and
//    once the maintainer really holds admin, they can too.
// 4. Lockout: 100 wrong passwords for a user's account from 127.0.0.2 (raw HTTP, as an attacker
//    would) are slowed down and refused, while the owner logs in from 127.0.0.1 at once with the
//    real CLI; the admin sees the throttling in /metrics and once in the audit log.
// 5. Quotas of abuse: with the default caps a user's 101st space is refused (exit 6) naming
//    spaces.max_per_user, and a space under 1 MiB is invalid input (exit 7).
#include <filesystem>
#include <fstream>
#include <functional>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/store/store.hpp"
#include "agent/store/tx.hpp"
#include "common/http/client.hpp"
#include "tests/integration/agent/host/accounts_guard.hpp"
#include "tests/integration/e2e/cli_e2e.hpp"
#include "tests/integration/e2e/shells.hpp"
#include "tests/integration/e2e/smb_session.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/smbd_fixture.hpp"
#include "tests/support/test_user.hpp"

using namespace sharectl;
using test::e2e::binaries_built;
using test::e2e::contains;
using test::e2e::Shells;

namespace {

ProcessResult run_tool(const std::vector<std::string>& argv) {
  auto runner = make_process_runner();
  Command command;
  command.program = argv.front();
  command.args.assign(argv.begin() + 1, argv.end());
  command.env_overrides["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
  auto ran = runner->run(command);
  REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
  return *ran;
}

// A Unix login account sharectl did not make, with a chosen name (useradd; userdel at the end).
class ForeignAccount {
public:
  explicit ForeignAccount(std::string name) : m_name(std::move(name)) {
    const auto made = run_tool({"useradd", "--no-create-home", "--shell", "/usr/sbin/nologin",
                                "--user-group", "--comment", "someone else", m_name});
    REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  }
  ~ForeignAccount() { (void)run_tool({"userdel", m_name}); }
  ForeignAccount(const ForeignAccount&) = delete;
  ForeignAccount& operator=(const ForeignAccount&) = delete;

  const std::string& name() const { return m_name; }
  uid_t uid() const {
    const struct passwd* pw = ::getpwnam(m_name.c_str());
    REQUIRE(pw != nullptr);
    return pw->pw_uid;
  }

private:
  std::string m_name;
};

// Every file and directory below `root` owned by `uid`.
std::vector<std::string> owned_by(const std::filesystem::path& root, uid_t uid) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) == 0 && st.st_uid == uid) {
      out.push_back(entry.path().string());
    }
  }
  return out;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Changes one user in the agent's store (the state the API cannot make: flags).
void edit_user(const test::AgentProcess& agent, const std::string& username,
               const std::function<void(model::User&)>& change) {
  auto db = store::open_store(agent.store_url());
  REQUIRE_MESSAGE(db.has_value(), test::error_text(db));
  const auto done = (*db)->transact([&](store::Tx& tx) -> Status {
    auto user = tx.find_user(username);
    if (!user) {
      return std::unexpected(user.error());
    }
    change(*user);
    auto updated = tx.update(*user);
    return updated ? Status{} : Status(std::unexpected(updated.error()));
  });
  REQUIRE_MESSAGE(done.has_value(), test::error_text(done));
}

} // namespace

TEST_CASE("security e2e: registering as a system or someone else's Unix account is refused") {
  if (!binaries_built() || !test::prerequisite(test::running_as_root(), "root (useradd)")) {
    return;
  }
  test::AgentOptions options;
  auto agent = test::AgentProcess::start(options);
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  const ForeignAccount login(test::test_user_name("login"));
  test::CliUser attacker;
  const auto try_register = [&](const std::string& name) {
    auto ran = attacker.run(
        {"register", name, "x@example.org", "--password-stdin", "--server", (*agent)->url()},
        std::string("attacker password 1\n"));
    REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
    return *ran;
  };
  for (const std::string name : {"daemon", "root", "www-data", "nobody", "systemd-network"}) {
    const auto refused = try_register(name);
    CHECK_MESSAGE(refused.exit_code == 6, (name + ": " + refused.err));
    CHECK_MESSAGE(contains(refused.err, "reserved for the system"), refused.err);
  }
  // A login account of this host (uid in the login range) that sharectl did not make.
  const auto borrowed = try_register(login.name());
  CHECK_MESSAGE(borrowed.exit_code == 6, borrowed.err);
  CHECK_MESSAGE(contains(borrowed.err, "Unix account on this host that sharectl did not make"),
                borrowed.err);
  // A group of the host (useradd would make the user's group of that name).
  const auto group = try_register("sudo");
  CHECK_MESSAGE(group.exit_code == 6, group.err);

  // Nothing was created; a name free on this host is still welcome.
  Shells admin((*agent)->url(), {}, options.admin_password);
  const auto listed = admin("admin", {"user", "list", "-o", "json"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  for (const auto& user : nlohmann::json::parse(listed.out)) {
    CHECK(user["username"] == "admin");
  }
  const auto fresh = try_register(test::test_user_name("fresh"));
  CHECK_MESSAGE(fresh.exit_code == 0, fresh.err);

  // The first admin too: `sharectl-agent init --admin` refuses such names.
  for (const std::string& name : {std::string("daemon"), login.name()}) {
    test::AgentOptions named;
    named.admin = name;
    const auto refused = test::AgentProcess::start(named);
    REQUIRE_FALSE(refused.has_value());
    CHECK_MESSAGE(contains(refused.error().message, "--admin: username " + name),
                  refused.error().message);
  }
}

TEST_CASE("security e2e: a user named like a foreign Unix account is never served as it") {
  if (!binaries_built() || !test::prerequisite(test::running_as_root(), "root (smbd, useradd)") ||
      !test::programs_available({"smbd", "smbclient", "smbcontrol", "testparm", "pdbedit",
                                 "smbpasswd", "useradd", "userdel"})) {
    return;
  }
  test::SmbHost host;
  host.start();
  const std::string alice = test::test_user_name("alice");
  const std::string mallory = test::test_user_name("mal");
  test::SmbAccountsGuard accounts{host.smbd.config_path(), {alice, mallory}};
  auto options = host.agent_options();
  auto agent = test::AgentProcess::start(options);
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  // mallory registers while the name is free here (as through an agent on another host)...
  Shells sharectl((*agent)->url(), {{alice, "alice's password 1"}, {mallory, "mallory pass 1"}},
                  options.admin_password);
  // ...then this host gets a login account of that name, with an SMB password of its own.
  const ForeignAccount foreign(mallory);
  SHARECTL_REQUIRE_OK(host.smbd.set_smb_password(mallory, "host's mallory 1"));

  // mallory's space is not made as that uid: error, with the reason, and nothing on disk.
  const auto made = sharectl(mallory, {"space", "create", "mine", "--size", "10M"});
  CHECK_MESSAGE(made.exit_code == 10, (made.err + (*agent)->log_tail()));
  CHECK_MESSAGE(contains(made.err, "was not made by sharectl"), made.err);
  CHECK(owned_by(host.root, foreign.uid()).empty());
  CHECK(!contains(read_text(host.include), "[mine]"));

  // A grant to mallory renders nothing for that name: the host's mallory stays out.
  const auto docs = sharectl(alice, {"space", "create", "docs", "--size", "10M"});
  REQUIRE_MESSAGE(docs.exit_code == 0, (docs.err + (*agent)->log_tail()));
  const auto granted =
      sharectl(alice, {"share", "grant", "docs", "--user", mallory, "--level", "write"});
  REQUIRE_MESSAGE(granted.exit_code == 0, granted.err);
  const std::string include = read_text(host.include);
  CHECK(contains(include, "[docs]"));
  CHECK_MESSAGE(!contains(include, mallory), include);
  auto smb = host.smbd.smbclient("docs", mallory, "host's mallory 1", "ls");
  REQUIRE_MESSAGE(smb.has_value(), test::error_text(smb));
  CHECK_MESSAGE(contains(*smb, "NT_STATUS_"), *smb);
  CHECK(owned_by(host.root, foreign.uid()).empty());
}

TEST_CASE("security e2e: nobody below admin gives themselves admin through a group or binding") {
  if (!binaries_built()) {
    return;
  }
  test::AgentOptions options; // no filesystem: nothing is served, nothing provisioned
  auto agent = test::AgentProcess::start(options);
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  const std::string mo = test::test_user_name("mo");   // a maintainer
  const std::string max = test::test_user_name("max"); // a manager
  const std::string bo = test::test_user_name("bo");   // holds a custom role that binds roles
  Shells sharectl((*agent)->url(),
                  {{mo, "mo's password 1"}, {max, "max's password 1"}, {bo, "bo's password 1"}},
                  options.admin_password);
  edit_user(**agent, max, [](model::User& user) { user.is_manager = true; });
  const auto as_admin = [&](const std::vector<std::string>& args) {
    const auto ran = sharectl("admin", args);
    REQUIRE_MESSAGE(ran.exit_code == 0, ran.err);
  };
  as_admin({"role", "bind", "maintainer", "--user", mo});
  as_admin({"group", "create", "ops"});
  as_admin({"role", "bind", "admin", "--group", "ops"});
  as_admin({"role", "create", "binder"});
  as_admin({"role", "rule", "add", "binder", "roles/**", "admin"});
  as_admin({"role", "bind", "binder", "--user", bo});

  for (const auto& who : {mo, max}) {
    const auto joined = sharectl(who, {"group", "add-member", "ops", who});
    CHECK_MESSAGE(joined.exit_code == 4, joined.err);
    CHECK_MESSAGE(contains(joined.err, "role admin (cluster-wide), which you do not hold"),
                  joined.err);
    const auto bound = sharectl(who, {"role", "bind", "admin", "--user", who});
    CHECK_MESSAGE(bound.exit_code == 4, bound.err);
  }
  CHECK(sharectl.members("admin", "ops").empty());
  // bo may bind roles (roles/** admin) but holds nothing of admin, nor can widen their role.
  const auto bo_binds = sharectl(bo, {"role", "bind", "admin", "--user", bo});
  CHECK_MESSAGE(bo_binds.exit_code == 4, bo_binds.err);
  CHECK_MESSAGE(contains(bo_binds.err, "rule ** admin"), bo_binds.err);
  const auto bo_widens = sharectl(bo, {"role", "rule", "add", "binder", "**", "admin"});
  CHECK_MESSAGE(bo_widens.exit_code == 4, bo_widens.err);
  const auto whoami = sharectl(bo, {"whoami", "-o", "json"});
  REQUIRE_MESSAGE(whoami.exit_code == 0, whoami.err);
  CHECK_MESSAGE(!contains(whoami.out, "\"admin\""), whoami.out);

  // What they hold they may still give: the maintainer manages a group that carries nothing,
  // and bo binds the role they hold.
  as_admin({"group", "create", "plain"});
  const auto plain = sharectl(mo, {"group", "add-member", "plain", mo, max});
  CHECK_MESSAGE(plain.exit_code == 0, plain.err);
  const auto same = sharectl(bo, {"role", "bind", "binder", "--user", max});
  CHECK_MESSAGE(same.exit_code == 0, same.err);
  // An admin may add the maintainer to ops; holding admin, the maintainer then may bind it.
  as_admin({"group", "add-member", "ops", mo});
  const auto now = sharectl(mo, {"role", "bind", "admin", "--user", max});
  CHECK_MESSAGE(now.exit_code == 0, now.err);
}

TEST_CASE("security e2e: 100 wrong passwords from one address do not lock the owner out") {
  if (!binaries_built()) {
    return;
  }
  test::AgentOptions options;
  auto agent = test::AgentProcess::start(options);
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  const std::string url = (*agent)->url();
  const std::string victim = test::test_user_name("vic");
  Shells sharectl(url, {{victim, "victim's password 1"}}, options.admin_password);

  http::ClientOptions from;
  from.local_address = "127.0.0.2";
  http::HttpClient attacker(from);
  int unauthorized = 0;
  int throttled = 0;
  for (int i = 0; i < 100; ++i) {
    const auto answer = attacker.request(
        "POST", url + "/api/v1/apps", {{"Content-Type", "application/json"}},
        nlohmann::json{{"username", victim}, {"password", "guess " + std::to_string(i)}}.dump());
    REQUIRE_MESSAGE(answer.has_value(), test::error_text(answer));
    CHECK_MESSAGE((answer->status == 401 || answer->status == 429), answer->body);
    (answer->status == 401 ? unauthorized : throttled) += 1;
  }
  CHECK(unauthorized >= 5); // a few guesses, then slowed down
  CHECK(throttled > 0);

  // The owner, from 127.0.0.1, at once.
  test::CliUser owner;
  const auto login =
      owner.run({"login", victim, "--password-stdin", "--server", url}, "victim's password 1\n");
  REQUIRE_MESSAGE(login.has_value(), test::error_text(login));
  CHECK_MESSAGE(login->exit_code == 0, login->err);

  // The admin sees it: the refusals in /metrics, the run of them once in the audit log.
  http::HttpClient plain;
  const auto metrics = plain.request("GET", url + "/metrics", {}, {});
  REQUIRE_MESSAGE(metrics.has_value(), test::error_text(metrics));
  CHECK_MESSAGE(
      contains(metrics->body, "sharectl_login_throttled_total{limit=\"account_address\"} " +
                                  std::to_string(throttled)),
      metrics->body);
  const auto audit = sharectl("admin", {"audit", "list", "-o", "json"});
  REQUIRE_MESSAGE(audit.exit_code == 0, audit.err);
  int logged = 0;
  for (const auto& event : nlohmann::json::parse(audit.out)) {
    logged += event.value("detail", "").starts_with("login throttled") ? 1 : 0;
  }
  CHECK(logged == 1);
}

TEST_CASE("security e2e: one user cannot take a 101st space, nor one under 1 MiB") {
  if (!test::e2e::ready_for_spaces()) {
    return;
  }
  test::e2e::Cluster cluster; // the default caps
  auto eve = cluster.person("eve");
  for (int i = 0; i < 100; ++i) {
    const auto made = eve->run(
        {"space", "create", "s" + std::to_string(i), "--size", "1M", "--no-share", "--no-wait"});
    REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  }
  const auto over = eve->run({"space", "create", "s100", "--size", "1M", "--no-share"});
  CHECK(over.exit_code == 6);
  CHECK_MESSAGE(contains(over.err, "has 100 spaces, the most one user may have "
                                   "(spaces.max_per_user: 100)"),
                over.err);
  const auto listed = eve->run({"space", "list", "-o", "json"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  CHECK(nlohmann::json::parse(listed.out).size() == 100);
  const auto tiny = eve->run({"space", "create", "tiny", "--size", "512K"});
  CHECK(tiny.exit_code == 7);
  CHECK_MESSAGE(contains(tiny.err, "a space has at least 1 MiB"), tiny.err);
}
