// SqlTx, part 4: reads that serve a whole list view in one query instead of one per object.
#include "agent/store/sql/sql_tx.hpp"

namespace sharectl::store::sql {

Result<std::map<Id, std::string>> SqlTx::first_share_names(const std::optional<Id>& owner_id) {
  static constexpr std::string_view k_all = "SELECT sh.space_id, sh.name FROM shares sh "
                                            "ORDER BY sh.created_at, sh.id";
  static constexpr std::string_view k_of_owner =
      "SELECT sh.space_id, sh.name FROM shares sh JOIN spaces sp ON sp.id = sh.space_id "
      "WHERE sp.owner_id = $1 ORDER BY sh.created_at, sh.id";
  auto r = owner_id ? query(k_of_owner, {*owner_id}, "list share names")
                    : query(k_all, {}, "list share names");
  if (!r) {
    return std::unexpected(r.error());
  }
  std::map<Id, std::string> out;
  for (const Row& row : r->rows) {
    if (row.cells.size() == 2 && row.cells[0] && row.cells[1]) {
      out.try_emplace(*row.cells[0], *row.cells[1]); // the first by creation stays
    }
  }
  return out;
}

} // namespace sharectl::store::sql
