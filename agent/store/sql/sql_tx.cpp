// SqlTx, part 1: documents of every kind (create, get, update, remove, list, status), look-ups
// by natural key, user secrets, and the change-feed bookkeeping.
#include "agent/store/sql/sql_tx.hpp"

#include <algorithm>
#include <type_traits>

#include "agent/store/ids.hpp"
#include "agent/store/kinds.hpp"
#include "agent/store/sql/mapping.hpp"
#include "agent/store/sql/tables.hpp"

namespace sharectl::store::sql {
namespace {

// How many revisions the change feed keeps; older ones are pruned (callers resync).
constexpr Revision k_feed_retention = 100000;
// Pruning runs on every k_prune_every-th revision.
constexpr Revision k_prune_every = 256;

std::string quoted(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    return "'" + *s + "'";
  }
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    return std::to_string(*i);
  }
  return "''";
}

} // namespace

std::string fold_ascii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  return out;
}

Error to_error(const SqlError& error, std::string_view context) {
  std::string where = context.empty() ? "store" : std::string(context);
  switch (error.fault) {
  case Fault::unique:
    return {ErrorCode::conflict, where + ": already exists (" + error.message + ")"};
  case Fault::foreign_key:
    return {ErrorCode::conflict,
            where + ": a referenced object is missing or still in use (" + error.message + ")"};
  case Fault::check:
    return {ErrorCode::bad_request, where + ": value rejected (" + error.message + ")"};
  case Fault::serialization:
    return {ErrorCode::conflict,
            where + ": changed concurrently, try again (" + error.message + ")"};
  case Fault::busy:
    return {ErrorCode::unavailable, where + ": the store is busy (" + error.message + ")"};
  case Fault::connection:
    return {ErrorCode::unavailable, where + ": the store is unreachable (" + error.message + ")"};
  case Fault::other:
    break;
  }
  return {ErrorCode::internal, where + ": " + error.message};
}

SqlTx::SqlTx(Connection& conn, bool writable, std::function<Timestamp()> clock)
    : m_conn(conn), m_writable(writable), m_clock(std::move(clock)) {}

SqlResult<Rows> SqlTx::query_raw(std::string_view sql, const Params& params) {
  auto r = m_conn.exec(sql, params);
  if (!r) {
    m_fault = r.error().fault;
  }
  return r;
}

Result<Rows> SqlTx::query(std::string_view sql, const Params& params, std::string_view context) {
  auto r = query_raw(sql, params);
  if (!r) {
    return std::unexpected(to_error(r.error(), context));
  }
  return std::move(*r);
}

Result<Revision> SqlTx::write_rev(std::string_view context) {
  if (!m_writable) {
    return fail(ErrorCode::internal,
                std::string(context) + ": a write in a read-only transaction (use transact)");
  }
  if (m_revision != 0) {
    return m_revision;
  }
  auto r = query("UPDATE store_meta SET revision = revision + 1 WHERE id = 1 RETURNING revision",
                 {}, context);
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->rows.empty()) {
    return fail(ErrorCode::internal, "store: store_meta row is missing");
  }
  auto rev = cell_int(r->rows[0], 0);
  if (!rev || !*rev) {
    return fail(ErrorCode::internal, "store: malformed store revision");
  }
  m_revision = **rev;
  return m_revision;
}

void SqlTx::record(Kind kind, const Id& id, bool deleted) {
  m_changes[{kind, id}] = deleted;
}

Status SqlTx::finish() {
  if (m_revision == 0) {
    return {};
  }
  for (const auto& [key, deleted] : m_changes) {
    auto r =
        query("INSERT INTO changes (revision, kind, object_id, deleted) VALUES ($1, $2, $3, $4)",
              {m_revision, std::string(model::kind_name(key.first)), key.second, deleted},
              "record change");
    if (!r) {
      return std::unexpected(r.error());
    }
  }
  if (m_revision % k_prune_every == 0 && m_revision > k_feed_retention) {
    Revision through = m_revision - k_feed_retention;
    auto r = query("DELETE FROM changes WHERE revision <= $1", {through}, "prune change feed");
    if (r) {
      r = query("UPDATE store_meta SET compacted_revision = $1 WHERE id = 1", {through},
                "prune change feed");
    }
    if (!r) {
      return std::unexpected(r.error());
    }
  }
  return {};
}

template <typename E>
std::string SqlTx::taken_message(const std::vector<std::string>& columns, const Params& params,
                                 std::string_view constraint) {
  auto value_of = [&](std::string_view column) -> const Value* {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (columns[i] == column) {
        return &params[i];
      }
    }
    return nullptr;
  };
  for (const UniqueKey& key : Table<E>::keys) {
    std::string_view last = key.columns[1].empty() ? key.columns[0] : key.columns[1];
    bool match = false;
    if (!constraint.empty()) {
      match = constraint.find(last) != std::string_view::npos;
    } else {
      // No error to go by (INSERT … ON CONFLICT DO NOTHING): look for the holder of the key.
      std::string sql = "SELECT 1 FROM " + std::string(Table<E>::name) + " WHERE ";
      Params probe;
      for (auto column : key.columns) {
        const Value* v = column.empty() ? nullptr : value_of(column);
        if (column.empty()) {
          continue;
        }
        if (v == nullptr || std::holds_alternative<std::monostate>(*v)) {
          probe.clear();
          break;
        }
        sql += probe.empty() ? "" : " AND ";
        probe.push_back(*v);
        sql += std::string(column) + " = $" + std::to_string(probe.size());
      }
      if (probe.empty()) {
        continue;
      }
      auto r = query_raw(sql + " LIMIT 1", probe);
      match = r && !r->rows.empty();
    }
    if (match) {
      const Value* v = value_of(last);
      return std::string(Table<E>::noun) + " " + std::string(key.what) + " " +
             (v ? quoted(*v) : "''") + std::string(key.tail);
    }
  }
  const Value* id = value_of("id");
  return std::string(Table<E>::noun) + " " + (id ? quoted(*id) : "") +
         " conflicts with an existing one";
}

template <typename E>
Result<E> SqlTx::create_impl(E e) {
  std::string context = "create " + std::string(Table<E>::noun);
  auto rev = write_rev(context);
  if (!rev) {
    return std::unexpected(rev.error());
  }
  if (e.id.empty()) {
    e.id = new_id();
  }
  e.revision = *rev;
  e.created_at = e.updated_at = now();
  ColumnLister lister{true, {"id", "revision", "created_at", "updated_at"}};
  Params params{e.id, e.revision, model::to_micros(e.created_at), model::to_micros(e.updated_at)};
  if constexpr (k_applied<E>) {
    lister.columns.insert(lister.columns.end(), {"status", "status_message", "observed_revision"});
    params.insert(params.end(), {std::string(model::status_name(e.status)), e.status_message,
                                 e.observed_revision});
  }
  Binder binder{params, std::nullopt};
  Table<E>::fields(lister, e);
  Table<E>::fields(binder, e);
  if (binder.error) {
    return std::unexpected(*binder.error);
  }
  std::string sql = "INSERT INTO " + std::string(Table<E>::name) + " (";
  std::string values;
  for (std::size_t i = 0; i < lister.columns.size(); ++i) {
    sql += (i ? ", " : "") + lister.columns[i];
    values += (i ? ", $" : "$") + std::to_string(i + 1);
  }
  sql += ") VALUES (" + values + ") ON CONFLICT DO NOTHING";
  auto r = query_raw(sql, params);
  if (!r) {
    if (r.error().fault == Fault::foreign_key) {
      return fail(ErrorCode::not_found,
                  context + ": an object it refers to does not exist (" + r.error().message + ")");
    }
    return std::unexpected(to_error(r.error(), context));
  }
  if (r->affected == 0) {
    return fail(ErrorCode::conflict, taken_message<E>(lister.columns, params, ""));
  }
  // Bookkeeping columns start at their defaults, whatever the caller's copy said.
  Resetter resetter;
  BookkeepingOnly<Resetter> reset{resetter};
  Table<E>::fields(reset, e);
  record(E::k_kind, e.id, false);
  return e;
}

template <typename E>
Result<E> SqlTx::get_impl(const Id& id) {
  return find_one<E>("id = $1", {id}, noun_id(Table<E>::noun, id));
}

template <typename E>
Result<E> SqlTx::find_one(std::string_view where, const Params& params, const std::string& what) {
  auto rows = select_many<E>(std::string("WHERE ") + std::string(where) + " LIMIT 1", params);
  if (!rows) {
    return std::unexpected(rows.error());
  }
  if (rows->empty()) {
    return fail(ErrorCode::not_found, what + " does not exist");
  }
  return std::move(rows->front());
}

template <typename E>
Result<std::vector<E>> SqlTx::select_many(std::string_view tail, const Params& params) {
  static const std::string columns = select_columns<E>();
  std::string sql =
      "SELECT " + columns + " FROM " + std::string(Table<E>::name) + " " + std::string(tail);
  auto r = query(sql, params, "read " + std::string(Table<E>::name));
  if (!r) {
    return std::unexpected(r.error());
  }
  std::vector<E> out;
  out.reserve(r->rows.size());
  for (const Row& row : r->rows) {
    auto e = load_row<E>(row);
    if (!e) {
      return std::unexpected(e.error());
    }
    out.push_back(std::move(*e));
  }
  return out;
}

template <typename E>
Result<E> SqlTx::update_impl(E e) {
  std::string context = "update " + noun_id(Table<E>::noun, e.id);
  if constexpr (std::is_same_v<E, AuditEvent>) {
    return fail(ErrorCode::bad_request, context + ": audit events are append-only");
  } else {
    auto rev = write_rev(context);
    if (!rev) {
      return std::unexpected(rev.error());
    }
    Revision expected = e.revision;
    e.revision = *rev;
    e.updated_at = now();
    ColumnLister lister{true, {"id", "revision", "updated_at"}};
    Params params{e.id, e.revision, model::to_micros(e.updated_at)};
    if constexpr (k_applied<E>) {
      lister.columns.insert(lister.columns.end(),
                            {"status", "status_message", "observed_revision"});
      params.insert(params.end(), {std::string(model::status_name(e.status)), e.status_message,
                                   e.observed_revision});
    }
    Binder binder{params, std::nullopt};
    Table<E>::fields(lister, e);
    Table<E>::fields(binder, e);
    if (binder.error) {
      return std::unexpected(*binder.error);
    }
    std::string sql = "UPDATE " + std::string(Table<E>::name) + " SET ";
    for (std::size_t i = 1; i < lister.columns.size(); ++i) {
      sql += (i > 1 ? ", " : "") + lister.columns[i] + " = $" + std::to_string(i + 1);
    }
    params.push_back(expected);
    // The bookkeeping columns are not written; the stored values come back with the row.
    ColumnLister kept;
    BookkeepingOnly<ColumnLister> kept_columns{kept};
    Table<E>::fields(kept_columns, e);
    sql +=
        " WHERE id = $1 AND revision = $" + std::to_string(params.size()) + " RETURNING created_at";
    for (const auto& column : kept.columns) {
      sql += ", " + column;
    }
    auto r = query_raw(sql, params);
    if (!r) {
      if (r.error().fault == Fault::unique) {
        return fail(ErrorCode::conflict,
                    taken_message<E>(lister.columns, params,
                                     r.error().constraint + " " + r.error().message));
      }
      if (r.error().fault == Fault::foreign_key) {
        return fail(ErrorCode::not_found, context + ": an object it refers to does not exist (" +
                                              r.error().message + ")");
      }
      return std::unexpected(to_error(r.error(), context));
    }
    if (r->rows.empty()) {
      auto current = query("SELECT revision FROM " + std::string(Table<E>::name) + " WHERE id = $1",
                           {e.id}, context);
      if (!current) {
        return std::unexpected(current.error());
      }
      if (current->rows.empty()) {
        return fail(ErrorCode::not_found, noun_id(Table<E>::noun, e.id) + " does not exist");
      }
      return fail(ErrorCode::conflict, noun_id(Table<E>::noun, e.id) + " changed since revision " +
                                           std::to_string(expected) + " (now at " +
                                           current->rows[0].cells[0].value_or("?") + ")");
    }
    auto created = cell_int(r->rows[0], 0);
    e.created_at = model::from_micros(created && *created ? **created : 0);
    Loader loader{r->rows[0], 1, std::nullopt};
    BookkeepingOnly<Loader> load_kept{loader};
    Table<E>::fields(load_kept, e);
    if (loader.error) {
      return std::unexpected(*loader.error);
    }
    record(E::k_kind, e.id, false);
    return e;
  }
}

template <typename E>
Status SqlTx::remove_impl(const Id& id, std::optional<Revision> expected) {
  std::string context = "delete " + noun_id(Table<E>::noun, id);
  if constexpr (std::is_same_v<E, AuditEvent>) {
    return fail(ErrorCode::bad_request, context + ": audit events are append-only");
  } else {
    auto rev = write_rev(context);
    if (!rev) {
      return std::unexpected(rev.error());
    }
    // ACL rows go with users and groups (ON DELETE CASCADE): their shares must be rendered again.
    if constexpr (std::is_same_v<E, User> || std::is_same_v<E, Group>) {
      std::string column = std::is_same_v<E, User> ? "user_id" : "group_id";
      auto shares = ids("SELECT DISTINCT share_id FROM share_acl WHERE " + column + " = $1", {id});
      if (!shares) {
        return std::unexpected(shares.error());
      }
      if (auto st = touch_shares(*shares); !st) {
        return st;
      }
    }
    std::string sql = "DELETE FROM " + std::string(Table<E>::name) + " WHERE id = $1";
    Params params{id};
    if (expected) {
      sql += " AND revision = $2";
      params.push_back(*expected);
    }
    auto r = query_raw(sql, params);
    if (!r) {
      if (r.error().fault == Fault::foreign_key) {
        return fail(ErrorCode::conflict,
                    context + ": other objects still refer to it (" + r.error().message + ")");
      }
      return std::unexpected(to_error(r.error(), context));
    }
    if (r->affected == 0) {
      auto current = query("SELECT revision FROM " + std::string(Table<E>::name) + " WHERE id = $1",
                           {id}, context);
      if (!current) {
        return std::unexpected(current.error());
      }
      if (current->rows.empty()) {
        return fail(ErrorCode::not_found, noun_id(Table<E>::noun, id) + " does not exist");
      }
      return fail(ErrorCode::conflict, noun_id(Table<E>::noun, id) + " changed since revision " +
                                           std::to_string(expected.value_or(0)) + " (now at " +
                                           current->rows[0].cells[0].value_or("?") + ")");
    }
    record(E::k_kind, id, true);
    return {};
  }
}

template <typename E>
Result<std::vector<E>> SqlTx::list_impl(const ListQuery& q) {
  std::string tail;
  Params params;
  if (q.parent) {
    if (Table<E>::parent.empty()) {
      return fail(ErrorCode::bad_request,
                  "list " + std::string(Table<E>::name) + ": this kind has no parent to filter by");
    }
    tail = "WHERE " + std::string(Table<E>::parent) + " = $1 ";
    params.push_back(*q.parent);
  }
  tail += "ORDER BY created_at, id";
  if (q.limit > 0) {
    params.push_back(static_cast<std::int64_t>(q.limit));
    tail += " LIMIT $" + std::to_string(params.size());
  }
  return select_many<E>(tail, params);
}

Result<Revision> SqlTx::set_status(Kind kind, const Id& id, ObjectStatus status,
                                   std::string message, Revision observed_revision) {
  return with_kind(kind, [&]<typename E>(std::type_identity<E>) -> Result<Revision> {
    std::string context = "set status of " + noun_id(Table<E>::noun, id);
    if constexpr (!k_applied<E>) {
      return fail(ErrorCode::bad_request, context + ": this kind has no status");
    } else {
      auto rev = write_rev(context);
      if (!rev) {
        return std::unexpected(rev.error());
      }
      auto r = query("UPDATE " + std::string(Table<E>::name) +
                         " SET status = $2, status_message = $3, observed_revision = $4, "
                         "revision = $5, updated_at = $6 WHERE id = $1",
                     {id, std::string(model::status_name(status)), std::move(message),
                      observed_revision, *rev, model::to_micros(now())},
                     context);
      if (!r) {
        return std::unexpected(r.error());
      }
      if (r->affected == 0) {
        return fail(ErrorCode::not_found, noun_id(Table<E>::noun, id) + " does not exist");
      }
      record(kind, id, false);
      return *rev;
    }
  });
}

Result<User> SqlTx::find_user(const std::string& username) {
  return find_one<User>("username = $1", {username}, "user '" + username + "'");
}
Result<User> SqlTx::find_user_by_email(const std::string& email) {
  return find_one<User>("email = $1", {email}, "user with e-mail '" + email + "'");
}
Result<Role> SqlTx::find_role(const std::string& name) {
  return find_one<Role>("name = $1", {name}, "role '" + name + "'");
}
Result<Group> SqlTx::find_group(const std::string& name) {
  return find_one<Group>("name = $1", {name}, "group '" + name + "'");
}
Result<Group> SqlTx::find_group_by_external_id(const std::string& external_id) {
  return find_one<Group>("external_id = $1", {external_id},
                         "group with external id '" + external_id + "'");
}
Result<Server> SqlTx::find_server(const std::string& name) {
  return find_one<Server>("name = $1", {name}, "server '" + name + "'");
}
Result<FileSystem> SqlTx::find_filesystem(const Id& server_id, const std::string& path) {
  return find_one<FileSystem>("server_id = $1 AND path = $2", {server_id, path},
                              "filesystem '" + path + "' of server " + server_id);
}
Result<Space> SqlTx::find_space(const Id& owner_id, const std::string& name) {
  return find_one<Space>("owner_id = $1 AND name = $2", {owner_id, name},
                         "space '" + name + "' of user " + owner_id);
}
Result<Share> SqlTx::find_share(const std::string& name) {
  return find_one<Share>("name_folded = $1", {fold_ascii(name)}, "share '" + name + "'");
}
Result<IscsiTarget> SqlTx::find_iscsi_target(const std::string& iqn) {
  return find_one<IscsiTarget>("iqn = $1", {iqn}, "iSCSI target '" + iqn + "'");
}
Result<NotifyMethod> SqlTx::find_notify_method(const std::string& name) {
  return find_one<NotifyMethod>("name = $1", {name}, "notify method '" + name + "'");
}
Result<App> SqlTx::find_app_by_token(const std::string& token_sha256) {
  return find_one<App>("token_sha256 = $1", {token_sha256}, "app with this token");
}
Result<JoinToken> SqlTx::find_join_token(const std::string& token_sha256) {
  return find_one<JoinToken>("token_sha256 = $1", {token_sha256}, "join token");
}

} // namespace sharectl::store::sql

template class sharectl::store::TxDispatch<sharectl::store::sql::SqlTx>;
