// Internal to the shared SQL layer: the visitors that turn an entity into column names and
// bound values and a result row back into an entity, driven by Table<E>::fields.
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "agent/store/sql/connection.hpp"
#include "agent/store/sql/tables.hpp"
#include "common/model/entities.hpp"

namespace sharectl::store::sql {

// Whether E carries the host-applied status columns.
template <typename E>
inline constexpr bool k_applied = std::is_base_of_v<model::Applied, E>;

// Collects the column names of Table<E>::fields. Derived columns are written, never read back;
// bookkeeping columns (written in place by the touch_* calls only, e.g. a space's used_bytes)
// are read, never written by create or update.
struct ColumnLister {
  bool writing = false; // true: the columns of an INSERT/UPDATE; false: of a SELECT
  std::vector<std::string> columns;
  template <typename T>
  void operator()(std::string_view column, T&) {
    columns.emplace_back(column);
  }
  template <typename T>
  void derived(std::string_view column, const T&) {
    if (writing) {
      columns.emplace_back(column);
    }
  }
  template <typename T>
  void bookkeeping(std::string_view column, T&) {
    if (!writing) {
      columns.emplace_back(column);
    }
  }
};

// Passes only the bookkeeping fields of Table<E>::fields to `inner` (as plain fields): to list,
// load or reset just those.
template <typename V>
struct BookkeepingOnly {
  V& inner;
  template <typename T>
  void operator()(std::string_view, T&) {}
  template <typename T>
  void derived(std::string_view, const T&) {}
  template <typename T>
  void bookkeeping(std::string_view column, T& value) {
    inner(column, value);
  }
};

// Sets every field it visits to its default value (a new row's bookkeeping columns).
struct Resetter {
  template <typename T>
  void operator()(std::string_view, T& value) {
    value = T{};
  }
};

// Appends each field's value to a parameter list, in column order.
struct Binder {
  Params& out;
  std::optional<Error> error;

  void operator()(std::string_view, const std::string& v) { out.emplace_back(v); }
  void operator()(std::string_view c, const std::optional<std::string>& v) {
    v ? (*this)(c, *v) : null();
  }
  void operator()(std::string_view, bool v) { out.emplace_back(v); }
  void operator()(std::string_view c, const std::optional<bool>& v) { v ? (*this)(c, *v) : null(); }
  void operator()(std::string_view, int v) { out.emplace_back(std::int64_t{v}); }
  void operator()(std::string_view, std::int64_t v) { out.emplace_back(v); }
  void operator()(std::string_view, double v) { out.emplace_back(v); }
  void operator()(std::string_view c, std::uint64_t v) {
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      error = Error{ErrorCode::bad_request, std::string(c) + " is too large to store"};
    }
    out.emplace_back(static_cast<std::int64_t>(v));
  }
  void operator()(std::string_view c, const std::optional<std::uint64_t>& v) {
    v ? (*this)(c, *v) : null();
  }
  void operator()(std::string_view, model::Timestamp v) { out.emplace_back(model::to_micros(v)); }
  void operator()(std::string_view c, const std::optional<model::Timestamp>& v) {
    v ? (*this)(c, *v) : null();
  }
  void operator()(std::string_view, const std::vector<std::string>& v) {
    std::string joined;
    for (const auto& s : v) {
      joined += joined.empty() ? "" : "\n";
      joined += s;
    }
    out.emplace_back(std::move(joined));
  }
  template <typename E>
  requires std::is_enum_v<E>
  void operator()(std::string_view, E v) { out.emplace_back(std::string(model::to_string(v))); }
  void derived(std::string_view c, const std::optional<std::string>& v) { (*this)(c, v); }
  template <typename T>
  void bookkeeping(std::string_view, const T&) {} // written by the touch_* calls only

private:
  void null() { out.emplace_back(std::monostate{}); }
};

// Reads each field from consecutive cells of a row, starting at index i.
struct Loader {
  const Row& row;
  std::size_t i = 0;
  std::optional<Error> error;

  void operator()(std::string_view c, std::string& v) {
    auto t = cell_text(row, i++);
    if (check(c, t)) {
      v = t->value_or("");
    }
  }
  void operator()(std::string_view c, std::optional<std::string>& v) {
    auto t = cell_text(row, i++);
    if (check(c, t)) {
      v = *t;
    }
  }
  void operator()(std::string_view c, bool& v) {
    auto t = cell_bool(row, i++);
    if (check(c, t)) {
      v = t->value_or(false);
    }
  }
  void operator()(std::string_view c, std::optional<bool>& v) {
    auto t = cell_bool(row, i++);
    if (check(c, t)) {
      v = *t;
    }
  }
  void operator()(std::string_view c, int& v) {
    auto t = cell_int(row, i++);
    if (check(c, t)) {
      v = static_cast<int>(t->value_or(0));
    }
  }
  void operator()(std::string_view c, std::int64_t& v) {
    auto t = cell_int(row, i++);
    if (check(c, t)) {
      v = t->value_or(0);
    }
  }
  void operator()(std::string_view c, double& v) {
    auto t = cell_real(row, i++);
    if (check(c, t)) {
      v = t->value_or(0.0);
    }
  }
  void operator()(std::string_view c, std::uint64_t& v) {
    auto t = cell_int(row, i++);
    if (check(c, t)) {
      v = static_cast<std::uint64_t>(t->value_or(0));
    }
  }
  void operator()(std::string_view c, std::optional<std::uint64_t>& v) {
    auto t = cell_int(row, i++);
    if (check(c, t)) {
      v = t->transform([](std::int64_t x) { return static_cast<std::uint64_t>(x); });
    }
  }
  void operator()(std::string_view c, model::Timestamp& v) {
    auto t = cell_int(row, i++);
    if (check(c, t)) {
      v = model::from_micros(t->value_or(0));
    }
  }
  void operator()(std::string_view c, std::optional<model::Timestamp>& v) {
    auto t = cell_int(row, i++);
    if (check(c, t)) {
      v = t->transform(model::from_micros);
    }
  }
  void operator()(std::string_view c, std::vector<std::string>& v) {
    auto t = cell_text(row, i++);
    if (!check(c, t)) {
      return;
    }
    v.clear();
    std::string_view s = t->value_or("");
    while (!s.empty()) {
      auto nl = s.find('\n');
      v.emplace_back(s.substr(0, nl));
      s = nl == std::string_view::npos ? std::string_view{} : s.substr(nl + 1);
    }
  }
  template <typename E>
  requires std::is_enum_v<E>
  void operator()(std::string_view c, E& v) {
    auto t = cell_text(row, i++);
    if (!check(c, t)) {
      return;
    }
    auto parsed = model::parse_enum<E>(t->value_or(""));
    if (!parsed) {
      set_error(c, "unknown value '" + t->value_or("") + "'");
      return;
    }
    v = *parsed;
  }
  template <typename T>
  void derived(std::string_view, const T&) {}
  template <typename T>
  void bookkeeping(std::string_view c, T& v) {
    (*this)(c, v);
  }

private:
  template <typename T>
  bool check(std::string_view c, const Result<T>& r) {
    if (!r) {
      set_error(c, r.error().message);
      return false;
    }
    return true;
  }
  void set_error(std::string_view c, const std::string& what) {
    if (!error) {
      error = Error{ErrorCode::internal, "store: column " + std::string(c) + ": " + what};
    }
  }
};

// The columns every document table starts with.
// "user 6e19…": how messages name an object by id.
inline std::string noun_id(std::string_view noun, const model::Id& id) {
  return std::string(noun) + " " + id;
}

inline constexpr std::string_view k_base_columns = "id, revision, created_at, updated_at";
// The status columns of host-applied tables, after the base columns.
inline constexpr std::string_view k_applied_columns = "status, status_message, observed_revision";

// "c1, c2, …" for the SELECT of E, each prefixed with `prefix` (e.g. "g.").
template <typename E>
std::string select_columns(std::string_view prefix = "") {
  ColumnLister lister;
  lister.columns = {"id", "revision", "created_at", "updated_at"};
  if constexpr (k_applied<E>) {
    lister.columns.insert(lister.columns.end(), {"status", "status_message", "observed_revision"});
  }
  E e{};
  Table<E>::fields(lister, e);
  std::string out;
  for (const auto& c : lister.columns) {
    out += out.empty() ? "" : ", ";
    out += prefix;
    out += c;
  }
  return out;
}

// Loads one row selected with select_columns<E>(). internal for a malformed row.
template <typename E>
Result<E> load_row(const Row& row) {
  E e{};
  auto id = cell_text(row, 0);
  auto rev = cell_int(row, 1);
  auto created = cell_int(row, 2);
  auto updated = cell_int(row, 3);
  if (!id || !rev || !created || !updated) {
    return fail(ErrorCode::internal, "store: malformed row of " + std::string(Table<E>::name));
  }
  e.id = id->value_or("");
  e.revision = rev->value_or(0);
  e.created_at = model::from_micros(created->value_or(0));
  e.updated_at = model::from_micros(updated->value_or(0));
  Loader loader{row, 4, std::nullopt};
  if constexpr (k_applied<E>) {
    auto status = cell_text(row, 4);
    auto message = cell_text(row, 5);
    auto observed = cell_int(row, 6);
    if (!status || !message || !observed) {
      return fail(ErrorCode::internal, "store: malformed status of " + std::string(Table<E>::name));
    }
    auto parsed = model::status_from_name(status->value_or(""));
    if (!parsed) {
      return fail(ErrorCode::internal, "store: unknown status '" + status->value_or("") + "'");
    }
    e.status = *parsed;
    e.status_message = message->value_or("");
    e.observed_revision = observed->value_or(0);
    loader.i = 7;
  }
  Table<E>::fields(loader, e);
  if (loader.error) {
    return std::unexpected(*loader.error);
  }
  return e;
}

} // namespace sharectl::store::sql
