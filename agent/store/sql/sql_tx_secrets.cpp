// SqlTx, part 5: a user's secrets (password hash, NT hash), kept out of the user document so
// that no list or get ever carries them.
#include "agent/store/sql/mapping.hpp"
#include "agent/store/sql/sql_tx.hpp"

namespace sharectl::store::sql {

Result<UserSecrets> SqlTx::get_user_secrets(const Id& user_id) {
  auto r = query("SELECT password_hash, nt_hash FROM users WHERE id = $1", {user_id},
                 "read user secrets");
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->rows.empty()) {
    return fail(ErrorCode::not_found, noun_id("user", user_id) + " does not exist");
  }
  return UserSecrets{r->rows[0].cells[0], r->rows[0].cells[1]};
}

Result<Revision> SqlTx::set_user_secrets(const Id& user_id, const UserSecrets& secrets) {
  auto rev = write_rev("set user secrets");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto opt = [](const std::optional<std::string>& s) -> Value {
    return s ? Value{*s} : Value{std::monostate{}};
  };
  auto r = query(
      "UPDATE users SET password_hash = $2, nt_hash = $3, revision = $4, "
      "updated_at = $5 WHERE id = $1",
      {user_id, opt(secrets.password_hash), opt(secrets.nt_hash), *rev, model::to_micros(now())},
      "set user secrets");
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->affected == 0) {
    return fail(ErrorCode::not_found, noun_id("user", user_id) + " does not exist");
  }
  record(Kind::user, user_id, false);
  return *rev;
}

} // namespace sharectl::store::sql
