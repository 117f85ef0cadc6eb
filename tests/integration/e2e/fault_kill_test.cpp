// kill -9 of the agent while it works (issue "Spaces and shares served by real Samba", faults):
// the real agent with a private smbd and a dir filesystem takes API changes (spaces, shares,
// grants, revokes, deletes), is SIGKILLed at a varied moment — right after the acknowledgement,
// while the include file is being written (its temporary file exists), after a random delay, or
// once converged — and restarted. Every time the file on disk must pass testparm with smbd's
// smb.conf, and after the restart it must converge to exactly the acknowledged shares (names,
// valid users, write list) with no temporary file left beside it; at the end every share is
// `ready` and its ACL holds exactly the acknowledged grants.
#include <random>

#include <doctest/doctest.h>
#include <fmt/core.h>
#include <fmt/ranges.h>

#include "tests/integration/e2e/fault_host.hpp"
#include "tests/support/require.hpp"

using namespace sharectl;
using namespace std::chrono_literals;
namespace fault = sharectl::test::fault;

namespace {

constexpr int k_iterations = 50;

// What the API acknowledged: shares by name with their space and grants.
struct Expected {
  struct Share {
    std::string space;
    std::map<std::string, std::string> grants; // grantee → level
    std::set<std::string> active;              // grantees whose grant is active
  };
  std::map<std::string, Share> shares;
  std::set<std::string> spaces;
};

// How far the include file is from the expectation ("" when it matches).
std::string mismatch(const Expected& expected, const std::string& owner, const std::string& text) {
  const auto sections = fault::include_sections(text);
  std::string out;
  for (const auto& [name, section] : sections) {
    if (!expected.shares.contains(name)) {
      out += fmt::format("[{}] is rendered but was deleted or never acknowledged; ", name);
    }
  }
  for (const auto& [name, share] : expected.shares) {
    const auto found = sections.find(name);
    if (found == sections.end()) {
      out += fmt::format("[{}] was acknowledged but is missing; ", name);
      continue;
    }
    std::set<std::string> valid{owner};
    std::set<std::string> writers{owner};
    for (const auto& user : share.active) {
      valid.insert(user);
      if (share.grants.at(user) == "write") {
        writers.insert(user);
      }
    }
    if (found->second.list("valid users") != valid) {
      out += fmt::format("[{}] valid users = {}; ", name,
                         found->second.params.contains("valid users")
                             ? found->second.params.at("valid users")
                             : "(none)");
    }
    if (found->second.list("write list") != writers) {
      out += fmt::format("[{}] write list differs; ", name);
    }
  }
  return out;
}

// A status outside 2xx as a readable failure.
std::string answer_text(const Result<http::HttpResponse>& answer) {
  return answer ? fmt::format("{} {}", answer->status, answer->body) : to_string(answer.error());
}

} // namespace

TEST_CASE("e2e faults: kill -9 of the agent at varied moments loses no acknowledged change") {
  SHARECTL_REQUIRE_ROOT();
  SHARECTL_REQUIRE_PROGRAMS("smbd", "testparm", "smbcontrol", "useradd", "userdel");
  if (!test::prerequisite(std::filesystem::exists(test::agent_binary()) &&
                              std::filesystem::exists(test::sharectl_binary()),
                          "the sharectl-agent and sharectl binaries (build all targets)")) {
    return;
  }
  fault::HostAccounts accounts; // destroyed last: after the agent and smbd stopped
  fault::Host host;
  SHARECTL_REQUIRE_OK(host.start("2s"));
  const std::string owner = fault::owner_name("k9");
  accounts.add(owner);
  auto alice = fault::ApiUser::login(host.agent->url(), owner, "owner password 1");
  REQUIRE_MESSAGE(alice.has_value(), test::error_text(alice));
  // The grantee gets an SMB account too: named so that a crashed run's leftover is removed.
  const std::string grantee = fault::owner_name("k9b");
  accounts.add(grantee);
  auto bob = fault::ApiUser::login(host.agent->url(), grantee, "bob password 12");
  REQUIRE_MESSAGE(bob.has_value(), test::error_text(bob));

  // The owner's Unix account is made once, before any kill: a SIGKILL during useradd could
  // leave /etc/passwd locked for the whole machine.
  auto first = alice->call("POST", "/api/v1/spaces", {{"name", "base"}, {"size_bytes", 1 << 20}});
  REQUIRE_MESSAGE((first && first->status == 201), answer_text(first));
  REQUIRE_MESSAGE(fault::poll_until(
                      [&] {
                        auto got = alice->get("/api/v1/spaces/" + owner + "/base");
                        return got && got->value("status", "") == "ready";
                      },
                      30s),
                  host.agent->log_tail());

  const unsigned seed = std::random_device{}();
  INFO("seed ", seed);
  std::mt19937 rng(seed);
  auto pick = [&](const auto& container) {
    auto it = container.begin();
    std::advance(it, static_cast<long>(rng() % container.size()));
    return it->first;
  };
  Expected expected;
  expected.spaces.insert("base");
  expected.shares["base"].space = "base";
  int killed_mid_write = 0;
  int leftover_temp_files = 0;

  // One change through the API; a 2xx answer is recorded in `expected`.
  auto change = [&](int iteration, int step) {
    const std::string fresh = fmt::format("k{}x{}", iteration, step);
    const unsigned kind = expected.spaces.empty() ? 0 : rng() % 6;
    if (kind == 0 || kind == 1) {
      const bool share_of_space = kind == 0 || expected.shares.empty();
      if (share_of_space) {
        auto made =
            alice->call("POST", "/api/v1/spaces", {{"name", fresh}, {"size_bytes", 1024 * 1024}});
        REQUIRE_MESSAGE((made && made->status == 201), answer_text(made));
        expected.spaces.insert(fresh);
        expected.shares[fresh].space = fresh;
        return;
      }
      const std::string space =
          *std::next(expected.spaces.begin(), static_cast<long>(rng() % expected.spaces.size()));
      auto made = alice->call("POST", "/api/v1/shares", {{"name", fresh}, {"space", space}});
      REQUIRE_MESSAGE((made && made->status == 201), answer_text(made));
      expected.shares[fresh].space = space;
      return;
    }
    if (expected.shares.empty()) {
      return;
    }
    const std::string share = pick(expected.shares);
    auto& entry = expected.shares.at(share);
    if (kind == 2 || (kind == 3 && entry.grants.empty())) {
      const std::string level = rng() % 2 == 0 ? "read" : "write";
      auto granted = alice->call("PUT", "/api/v1/shares/" + share + "/acl/user:" + grantee,
                                 {{"level", level}});
      REQUIRE_MESSAGE((granted && granted->status == 200), answer_text(granted));
      entry.grants[grantee] = level;
      // The grant gives access once active: at once, or when bob accepts the invitation.
      std::string state;
      for (const auto& row : nlohmann::json::parse(granted->body)) {
        if (row.value("user", "") == grantee) {
          state = row.value("state", "");
        }
      }
      if (state == "pending") {
        auto accepted = bob->call("POST", "/api/v1/invitations/" + share + "/accept");
        state = accepted && accepted->status / 100 == 2 ? "active" : state;
      }
      if (state == "active") {
        entry.active.insert(grantee);
      } else {
        entry.active.erase(grantee);
      }
    } else if (kind == 3) {
      auto revoked = alice->call("DELETE", "/api/v1/shares/" + share + "/acl/user:" + grantee);
      REQUIRE_MESSAGE((revoked && revoked->status == 200), answer_text(revoked));
      entry.grants.clear();
      entry.active.clear();
    } else if (kind == 4) {
      auto deleted = alice->call("DELETE", "/api/v1/shares/" + share);
      REQUIRE_MESSAGE((deleted && deleted->status == 204), answer_text(deleted));
      expected.shares.erase(share);
    } else {
      const std::string space = entry.space;
      auto deleted = alice->call("DELETE", "/api/v1/spaces/" + owner + "/" + space + "?force=true");
      REQUIRE_MESSAGE((deleted && deleted->status == 202), answer_text(deleted));
      expected.spaces.erase(space);
      std::erase_if(expected.shares, [&](const auto& kv) { return kv.second.space == space; });
    }
  };

  for (int i = 0; i < k_iterations; ++i) {
    CAPTURE(i);
    const int steps = 1 + static_cast<int>(rng() % 3);
    for (int step = 0; step < steps; ++step) {
      change(i, step);
    }
    // The moment of the kill: 0 right after the acknowledgement, 1 while the include file is
    // written (its temporary file exists), 2 after 0–400 ms, 3 once converged.
    const int moment = i % 4;
    if (moment == 1) {
      const bool seen = fault::poll_until(
          [&] { return !fault::temp_files_beside(host.include).empty(); }, 3s, 1ms);
      killed_mid_write += seen ? 1 : 0;
    } else if (moment == 2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 400));
    } else if (moment == 3) {
      (void)fault::poll_until(
          [&] { return mismatch(expected, owner, host.include_text()).empty(); }, 20s);
    }
    SHARECTL_REQUIRE_OK(host.agent->kill());

    // Whatever the moment, the file smbd reads is whole and valid.
    const std::string on_disk = host.include_text();
    if (!on_disk.empty()) {
      auto checked = fault::testparm(host.smbd.config_path());
      REQUIRE_MESSAGE(checked.has_value(), test::error_text(checked));
      CHECK_MESSAGE(checked->exit_code == 0, checked->err);
      CHECK_MESSAGE(checked->err.find("Unknown parameter") == std::string::npos, checked->err);
      CHECK(on_disk.starts_with("# managed by sharectl-agent"));
    }

    SHARECTL_REQUIRE_OK(host.agent->restart());
    std::string last;
    const bool converged = fault::poll_until(
        [&] {
          last = mismatch(expected, owner, host.include_text());
          // Converged also means smbd reloaded: the owed-reload marker is gone then.
          return last.empty() && fault::temp_files_beside(host.include).empty();
        },
        20s);
    CHECK_MESSAGE(converged, fmt::format("moment {}: {}\nagent log:\n{}", moment, last,
                                         host.agent->log_tail()));
    const auto leftovers = fault::temp_files_beside(host.include);
    // A kill during a write must not leave a temporary file (or an owed reload) behind.
    CHECK_MESSAGE(leftovers.empty(),
                  fmt::format("moment {}: temporary files left beside {}: {}", moment,
                              host.include.string(), fmt::format("{}", fmt::join(leftovers, " "))));
    for (const auto& name : leftovers) {
      ++leftover_temp_files;
      std::filesystem::remove(host.include.parent_path() / name); // keep later rounds meaningful
    }
  }
  MESSAGE(fmt::format("{} iterations, {} kills while the include file was written, {} temporary "
                      "files left behind",
                      k_iterations, killed_mid_write, leftover_temp_files));
  CHECK(killed_mid_write > 0); // the test did hit the write window

  // Converged: every acknowledged share is ready and holds exactly the acknowledged grants.
  for (const auto& [name, share] : expected.shares) {
    CAPTURE(name);
    std::string status;
    const bool ready = fault::poll_until(
        [&] {
          auto got = alice->get("/api/v1/shares/" + name);
          status = got ? got->value("status", "") + " " + got->value("status_message", "")
                       : test::error_text(got);
          return status == "ready ";
        },
        20s);
    CHECK_MESSAGE(ready, status);
    auto acl = alice->get("/api/v1/shares/" + name + "/acl");
    REQUIRE_MESSAGE(acl.has_value(), test::error_text(acl));
    std::map<std::string, std::string> grants;
    for (const auto& row : *acl) {
      grants[row.value("user", "")] = row.value("level", "");
    }
    CHECK(grants == share.grants);
  }
}
