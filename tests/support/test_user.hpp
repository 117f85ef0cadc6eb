// Real Unix accounts for tests that need them (smbd maps SMB users to Unix users; shares use
// `force user`). Each account is named sctest_<label>_<pid>_<random>, created with useradd (no
// home, nologin shell, its own group) and deleted with userdel when the object goes away. The pid
// in the name lets a later run delete accounts a crashed run left behind (their pid is dead)
// without touching those of a run still going. Needs root; failures are returned as Errors.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "common/util/error.hpp"

namespace sharectl::test {

// Prefix of every account these fixtures create.
inline constexpr std::string_view k_test_user_prefix = "sctest_";

// One test account, deleted (userdel, which also removes its group) on destruction.
class TestUser {
public:
  // Creates a fresh account; label ([a-z0-9], at most 8 characters kept) makes it recognisable.
  // First removes accounts left by dead test processes. Fails (internal) when useradd fails.
  static Result<std::unique_ptr<TestUser>> create(std::string_view label);

  ~TestUser();
  TestUser(const TestUser&) = delete;
  TestUser& operator=(const TestUser&) = delete;

  // The Unix user name (also the name of its primary group).
  const std::string& name() const { return m_name; }
  // Its uid.
  uid_t uid() const { return m_uid; }
  // Its primary gid.
  gid_t gid() const { return m_gid; }

  // Deletes the account now; fails (internal) when userdel fails. Idempotent.
  Status remove();

private:
  TestUser(std::string name, uid_t uid, gid_t gid)
      : m_name(std::move(name)), m_uid(uid), m_gid(gid) {}

  std::string m_name;
  uid_t m_uid = 0;
  gid_t m_gid = 0;
  bool m_removed = false;
};

// A fresh name of the sctest_<label>_<pid>_<hex> pattern for an account something else creates
// (the agent): whoever made it, the next run deletes it once this process is gone. The first
// call removes accounts left by dead test processes.
std::string test_user_name(std::string_view label);

// True when a Unix user of this name exists (getpwnam).
bool unix_user_exists(const std::string& name);

// Deletes sctest_* accounts whose creating process is gone; returns how many were deleted.
int remove_stale_test_users();

// A random lowercase hex string of length characters (std::random_device; for test names and
// passwords only, not for secrets that matter).
std::string random_hex(std::size_t length);

} // namespace sharectl::test
