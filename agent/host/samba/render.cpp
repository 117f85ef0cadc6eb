// Renders the agent's smb.conf include file; see render.hpp.
#include "agent/host/samba/render.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "common/validate/names.hpp"
#include "common/validate/path.hpp"
#include "common/validate/text.hpp"

namespace sharectl::agent::host {
namespace {

// Prefixes an Error's message with the share it concerns.
Status about_share(const std::string& name, Status status) {
  if (status) {
    return status;
  }
  return fail(status.error().code,
              "share " + validate::quote_for_message(name) + ": " + status.error().message);
}

// An account name that may appear in a user list or `force user`: a valid username, not root
// (a share forced to root, or a list granting root, would bypass every permission).
Status check_account(std::string_view what, std::string_view name) {
  if (auto status = validate::validate_username(name); !status) {
    return fail(ErrorCode::bad_request, std::string(what) + ": " + status.error().message);
  }
  if (name == "root") {
    return fail(ErrorCode::bad_request, std::string(what) + ": the root account is not allowed");
  }
  return {};
}

// The effective level of every user with access (max over the rows), the owner included.
std::map<std::string, model::ShareLevel> effective_levels(const ShareView& view) {
  std::map<std::string, model::ShareLevel> levels;
  for (const ShareGrant& grant : view.grants) {
    auto [it, inserted] = levels.emplace(grant.username, grant.level);
    if (!inserted && grant.level == model::ShareLevel::write) {
      it->second = model::ShareLevel::write;
    }
  }
  levels[view.owner] = model::ShareLevel::write;
  return levels;
}

// "a, b, c" (std::map keeps them sorted, so the output is deterministic).
std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) {
      out += ", ";
    }
    out += name;
  }
  return out;
}

void render_one(const ShareView& view, const std::string& path, const DfreeSetup& dfree,
                std::string& out) {
  const auto levels = effective_levels(view);
  std::vector<std::string> valid;
  std::vector<std::string> readers;
  std::vector<std::string> writers;
  for (const auto& [name, level] : levels) {
    valid.push_back(name);
    // `write list` overrides `read only = yes`, so a read-only share has no writers at all.
    if (level == model::ShareLevel::write && !view.share.read_only) {
      writers.push_back(name);
    } else {
      readers.push_back(name);
    }
  }
  const std::string& group = view.owner_group.empty() ? view.owner : view.owner_group;
  out += "\n[" + view.share.name + "]\n";
  out += "\tpath = " + path + "\n";
  if (!view.share.comment.empty()) {
    out += "\tcomment = " + view.share.comment + "\n";
  }
  out += std::string("\tread only = ") + (view.share.read_only ? "yes" : "no") + "\n";
  out += std::string("\tbrowseable = ") + (view.share.browseable ? "yes" : "no") + "\n";
  out += "\tvalid users = " + join(valid) + "\n";
  if (!readers.empty()) {
    out += "\tread list = " + join(readers) + "\n";
  }
  if (!writers.empty()) {
    out += "\twrite list = " + join(writers) + "\n";
  }
  out += "\tforce user = " + view.owner + "\n";
  out += "\tforce group = " + group + "\n";
  out += "\tcreate mask = 0640\n";
  out += "\tdirectory mask = 0750\n";
  if (const auto command = dfree_command(dfree, view.space)) {
    out += "\tdfree command = " + *command + "\n";
    out += "\tdfree cache time = " + std::to_string(k_dfree_cache_seconds) + "\n";
  }
}

} // namespace

Result<std::string> share_path(const ShareView& view) {
  auto base = validate::validate_path(view.space.path);
  if (!base) {
    return std::unexpected(base.error());
  }
  if (view.share.subdir.empty()) {
    return base->string();
  }
  auto subdir = validate::validate_relative_subdir(view.share.subdir);
  if (!subdir) {
    return std::unexpected(subdir.error());
  }
  auto joined = validate::validate_path((*base / *subdir).string());
  if (!joined) {
    return std::unexpected(joined.error());
  }
  return joined->string();
}

Status validate_share_view(const ShareView& view) {
  const std::string& name = view.share.name;
  if (auto status = validate::validate_share_name(name); !status) {
    return about_share(name, status);
  }
  if (auto status = validate::validate_comment(view.share.comment); !status) {
    return about_share(name, status);
  }
  if (auto path = share_path(view); !path) {
    return about_share(name, std::unexpected(path.error()));
  }
  if (auto status = check_account("owner", view.owner); !status) {
    return about_share(name, status);
  }
  if (!view.owner_group.empty()) {
    if (auto status = validate::validate_group_name(view.owner_group); !status) {
      return about_share(name, status);
    }
    if (view.owner_group == "root") {
      return about_share(name, fail(ErrorCode::bad_request, "owner group root is not allowed"));
    }
  }
  for (const ShareGrant& grant : view.grants) {
    if (auto status = check_account("grantee", grant.username); !status) {
      return about_share(name, status);
    }
  }
  return {};
}

std::optional<std::string> dfree_command(const DfreeSetup& dfree, const model::Space& space) {
  if (!dfree.enabled()) {
    return std::nullopt;
  }
  auto link = dfree_link(dfree.usage_dir, space.id);
  if (!link || !check_dfree_path(link->string())) {
    return std::nullopt;
  }
  return link->string();
}

Result<std::string> render_shares(const std::vector<ShareView>& shares, const DfreeSetup& dfree) {
  // Sorted by folded name, so the order of the input never changes the output.
  std::map<std::string, const ShareView*> sorted;
  for (const ShareView& view : shares) {
    if (auto status = validate_share_view(view); !status) {
      return std::unexpected(status.error());
    }
    auto [it, inserted] = sorted.emplace(validate::fold_share_name(view.share.name), &view);
    if (!inserted) {
      return fail(ErrorCode::bad_request,
                  "share names " + validate::quote_for_message(it->second->share.name) + " and " +
                      validate::quote_for_message(view.share.name) + " differ only in letter case");
    }
  }
  std::string out(k_include_header);
  out += "\n";
  out.reserve(sorted.size() * 320 + 64);
  for (const auto& [folded, view] : sorted) {
    render_one(*view, *share_path(*view), dfree, out);
  }
  return out;
}

} // namespace sharectl::agent::host
