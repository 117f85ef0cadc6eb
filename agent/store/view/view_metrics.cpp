// The read view's figures for /metrics.
#include <fmt/format.h>

#include "agent/store/view/view_store.hpp"

namespace sharectl::store::view {

std::string metrics_text(const ViewStats& s) {
  std::string out;
  auto gauge = [&](std::string_view name, std::string_view help, auto value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, value);
  };
  gauge("sharectl_view_revision", "The store revision the read view has reached.", s.revision);
  gauge("sharectl_view_documents", "Documents in the read view (every kind but audit events).",
        s.counts.documents);
  gauge("sharectl_view_acl_rows", "Share ACL rows in the read view.", s.counts.acl_rows);
  gauge("sharectl_view_group_members", "Group memberships in the read view.", s.counts.members);
  gauge("sharectl_view_group_grants", "Group grants in the read view.", s.counts.grants);
  gauge("sharectl_view_load_seconds", "How long the last full load of the read view took.",
        static_cast<double>(s.load_time.count()) / 1000.0);
  gauge("sharectl_view_load_bytes", "Heap the last full load of the read view took.", s.load_bytes);
  out += "# HELP sharectl_view_full_loads_total Full loads of the read view (the first, and one "
         "per change feed compacted past it).\n# TYPE sharectl_view_full_loads_total counter\n";
  out += fmt::format("sharectl_view_full_loads_total {}\n", s.full_loads);
  return out;
}

} // namespace sharectl::store::view
