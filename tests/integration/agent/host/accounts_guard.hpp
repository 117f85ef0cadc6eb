// Removes the SMB accounts (passdb entry and Unix account, if made by sharectl) that an agent or
// reconciler under test provisioned, whatever the test did. Name them sctest_<label>_<pid>_<hex>
// (tests/support/test_user.hpp) so that a crashed run's accounts are swept by the next one.
// Header-only: the integration binary compiles *_test.cpp files only.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "agent/host/samba/accounts.hpp"
#include "common/util/process.hpp"

namespace sharectl::test {

// Declare it after the smbd whose smb.conf it names, so that it runs first.
struct SmbAccountsGuard {
  std::filesystem::path smb_conf;
  std::vector<std::string> names;
  ~SmbAccountsGuard() {
    auto runner = make_process_runner();
    agent::host::SambaAccounts accounts(*runner, smb_conf);
    for (const auto& name : names) {
      (void)accounts.remove(name);
    }
  }
};

} // namespace sharectl::test
