// Which TCP port SMB clients use for this host's smbd: the `smb ports` parameter of the [global]
// section of smb.conf, read from the file as smbd reads it (parameter names ignore case, spaces
// and underscores; `;` and `#` start comment lines; a trailing `\` joins the next line). The
// connect paths that sharectl prints (smb://host:port/share) need it. Nothing here runs a
// program; a file that cannot be read counts as "no smb ports", i.e. Samba's default 445.
#pragma once

#include <filesystem>
#include <string_view>

namespace sharectl::agent::host {

// The port clients should use given smb.conf text: 445 when `smb ports` lists it or is absent
// (Samba's default "445 139"), else the first port it lists. Never fails.
int smb_port_in(std::string_view smb_conf_text);

// smb_port_in() of the file at `smb_conf` (445 when it cannot be read). Never fails.
int smb_port_of(const std::filesystem::path& smb_conf);

} // namespace sharectl::agent::host
