// The shells of an end-to-end test's people: each a CliUser registered (or, for "admin", logged
// in with the agent's first admin) at one agent, run by name. Header-only: the integration
// binary compiles *_test.cpp files only.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/support/agent_process.hpp"
#include "tests/support/require.hpp"

namespace sharectl::test::e2e {

// Whether `text` holds `part` (output and error checks).
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

inline bool binaries_built() {
  return prerequisite(std::filesystem::exists(agent_binary()) &&
                          std::filesystem::exists(sharectl_binary()),
                      "the sharectl-agent and sharectl binaries (build all targets)");
}

// The shells of the test's users (and "admin"), each logged in to `server`.
class Shells {
public:
  Shells(const std::string& server, const std::map<std::string, std::string>& passwords,
         const std::string& admin_password) {
    for (const auto& [name, password] : passwords) {
      m_shells[name] = std::make_unique<CliUser>();
      SHARECTL_REQUIRE_OK(m_shells[name]->register_and_login(server, name, password));
    }
    m_shells["admin"] = std::make_unique<CliUser>();
    auto login = m_shells["admin"]->run({"login", "admin", "--password-stdin", "--server", server},
                                        admin_password + "\n");
    REQUIRE_MESSAGE(login.has_value(), error_text(login));
    REQUIRE_MESSAGE(login->exit_code == 0, login->err);
  }

  // `sharectl args…` as `who`; REQUIREs that it could run.
  ProcessResult operator()(const std::string& who, const std::vector<std::string>& args) {
    auto ran = m_shells.at(who)->run(args);
    REQUIRE_MESSAGE(ran.has_value(), error_text(ran));
    return *ran;
  }

  // The members of `group` as `who` sees them (group show -o json).
  nlohmann::json members(const std::string& who, const std::string& group) {
    const auto shown = (*this)(who, {"group", "show", group, "-o", "json"});
    REQUIRE_MESSAGE(shown.exit_code == 0, shown.err);
    return nlohmann::json::parse(shown.out)["members"];
  }

private:
  std::map<std::string, std::unique_ptr<CliUser>> m_shells;
};

} // namespace sharectl::test::e2e
