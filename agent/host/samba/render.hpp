// The smb.conf include file the agent owns: one section per share placed on this host, rendered
// from an allow-list of parameters only (DESIGN.md "A coherent permission model"). Every name,
// comment and path is validated again here (defence in depth); anything that fails refuses the
// whole rendering, so a partial or hostile file is never produced. Rendering is pure (no I/O);
// prepare_dfree, for the reconciler's call, is not.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/host/samba/usage_files.hpp"
#include "common/model/entities.hpp"
#include "common/util/error.hpp"

namespace sharectl::agent::host {

// The first line of every rendered include file.
inline constexpr std::string_view k_include_header =
    "# managed by sharectl-agent; edits are overwritten";

// One user's access to a share: a Unix/SMB account name and its level.
struct ShareGrant {
  std::string username;
  model::ShareLevel level = model::ShareLevel::read;
};

// What the renderer needs to know about one share: the share, the space holding it (its path),
// the owner's account (force user) and the active grants. Grants may repeat a user (direct and
// group rows): the highest level wins. The owner always has write access.
struct ShareView {
  model::Share share;
  model::Space space;
  std::string owner;              // the owner's Unix account
  std::string owner_group;        // force group; empty: the owner's name (its own group)
  std::vector<ShareGrant> grants; // active rows only; pending invitations give no access
};

// The directory a share serves: space.path, or space.path/subdir. Fails with bad_request when
// either part is not a valid path (common/validate/path).
Result<std::string> share_path(const ShareView& view);

// Checks everything of one view that reaches smb.conf: share name, comment, path, owner, owner
// group and every grantee (usernames only, never `root`). Fails with bad_request naming the
// share and the rule.
Status validate_share_view(const ShareView& view);

// The `dfree command` of a share of this space: `<usage_dir>/<space id>.dfree` when `dfree` is
// enabled, the id is a UUID and the path passes check_dfree_path; nullopt otherwise (the share
// then gets no dfree parameters and Samba shows the disk's own figures). Never fails.
std::optional<std::string> dfree_command(const DfreeSetup& dfree, const model::Space& space);

// The whole include file for these shares: header comment, then sections sorted by name
// (case-insensitively), each with path, comment (when set), read only, browseable, valid users,
// read list, write list, force user, force group, create mask 0640 and directory mask 0750,
// and — when dfree_command() gives one — dfree command and dfree cache time
// (k_dfree_cache_seconds). Byte-identical output for the same input (in any order). Fails with
// bad_request on the first invalid view, or when two shares' names differ only in case; nothing
// is returned then.
Result<std::string> render_shares(const std::vector<ShareView>& shares,
                                  const DfreeSetup& dfree = {});

// The reconciler's argument to render_shares: dfree_setup_for(samba_include), after making sure
// (when enabled) that the usage directory exists and that every view's space has its link and
// a figures file (created with the space's size and stored used_bytes, or given the new size of
// a resized space; the heartbeat's used figure is kept). I/O failures are not reported: a
// missing link or file only makes Samba fall back to the disk's figures, and the heartbeat
// writes them again every beat. Never fails.
DfreeSetup prepare_dfree(const std::filesystem::path& samba_include,
                         const std::vector<ShareView>& views);

} // namespace sharectl::agent::host
