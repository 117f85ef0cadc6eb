// Writes the include file, validates it and tells smbd; see config_writer.hpp.
#include "agent/host/samba/config_writer.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include <sys/stat.h>

#include "agent/host/command.hpp"
#include "common/util/atomic_file.hpp"
#include "common/validate/names.hpp"
#include "common/validate/path.hpp"

namespace sharectl::agent::host {
namespace {

namespace fs = std::filesystem;

// The largest include file or smb.conf we read back (10,000 shares take ~3 MiB).
constexpr std::size_t k_max_config_bytes = 256 * 1024 * 1024;
// testparm on a 10,000-share file takes ~0.4 s; a loaded host gets plenty more.
constexpr auto k_testparm_timeout = std::chrono::seconds(120);
constexpr auto k_smbcontrol_timeout = std::chrono::seconds(30);

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A parameter name as smbd compares them: case and spaces do not matter.
std::string param_key(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (c != ' ' && c != '\t' && c != '_') {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

// Splits text into lines, each without its '\n'.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// The name of a "[name]" header line (trimmed), or nullopt.
std::optional<std::string_view> section_header(std::string_view line) {
  line = trim(line);
  if (line.size() < 2 || line.front() != '[') {
    return std::nullopt;
  }
  const auto close = line.find(']');
  if (close == std::string_view::npos) {
    return std::nullopt;
  }
  return trim(line.substr(1, close - 1));
}

// "name = value" of a non-comment line, or nullopt.
std::optional<std::pair<std::string, std::string>> parameter(std::string_view line) {
  line = trim(line);
  if (line.empty() || line.front() == ';' || line.front() == '#' || line.front() == '[') {
    return std::nullopt;
  }
  const auto eq = line.find('=');
  if (eq == std::string_view::npos) {
    return std::nullopt;
  }
  return std::pair{param_key(line.substr(0, eq)), std::string(trim(line.substr(eq + 1)))};
}

using Section = std::map<std::string, std::string>;

// The share sections of an include file, by folded name (a lenient reading: it may be a
// hand-edited file). Parameters of a repeated section are merged, as smbd does.
std::map<std::string, std::pair<std::string, Section>> parse_sections(std::string_view text) {
  std::map<std::string, std::pair<std::string, Section>> sections;
  std::pair<std::string, Section>* current = nullptr;
  for (const std::string_view line : split_lines(text)) {
    if (const auto name = section_header(line)) {
      const std::string folded = lower(*name);
      current = folded == "global" ? nullptr : &sections[folded];
      if (current != nullptr) {
        current->first = std::string(*name);
      }
    } else if (const auto param = parameter(line); param && current != nullptr) {
      current->second[param->first] = param->second;
    }
  }
  return sections;
}

// The names of a smb.conf user list ("a, b c").
std::set<std::string> list_names(const Section& section, const std::string& key) {
  std::set<std::string> names;
  const auto found = section.find(key);
  if (found == section.end()) {
    return names;
  }
  std::string word;
  for (const char c : found->second + ",") {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!word.empty()) {
        names.insert(word);
      }
      word.clear();
    } else {
      word += c;
    }
  }
  return names;
}

bool lost_members(const Section& before, const Section& after, const std::string& key) {
  const auto old_names = list_names(before, key);
  const auto new_names = list_names(after, key);
  return std::ranges::any_of(old_names, [&](const auto& n) { return !new_names.contains(n); });
}

bool gained_members(const Section& before, const Section& after, const std::string& key) {
  return lost_members(after, before, key);
}

bool is_yes(const Section& section, const std::string& key) {
  const auto found = section.find(key);
  if (found == section.end()) {
    return false;
  }
  const std::string value = lower(found->second);
  return value == "yes" || value == "true" || value == "1" || value == "on";
}

// Whether anyone may have lost access between the two renderings of one share.
bool access_shrank(const Section& before, const Section& after) {
  if (lost_members(before, after, "validusers") || lost_members(before, after, "writelist") ||
      gained_members(before, after, "invalidusers")) {
    return true;
  }
  // A reader who was already a valid user may have been a writer: demoted.
  const auto old_valid = list_names(before, "validusers");
  const auto old_readers = list_names(before, "readlist");
  for (const std::string& name : list_names(after, "readlist")) {
    if (!old_readers.contains(name) && (old_valid.empty() || old_valid.contains(name))) {
      return true;
    }
  }
  if (!is_yes(before, "readonly") && is_yes(after, "readonly")) {
    return true;
  }
  // Any other change (path, force user, hand edits) is treated as shrinking: closing costs a
  // reconnect, keeping stale rights costs a revocation that does not bite.
  // The free-space figures a share reports (dfree command, dfree cache time) grant nothing.
  static const std::set<std::string> k_checked = {
      "validusers", "writelist",  "readlist",  "invalidusers", "readonly",
      "comment",    "browseable", "browsable", "dfreecommand", "dfreecachetime"};
  std::set<std::string> keys;
  for (const auto& [key, value] : before) {
    keys.insert(key);
  }
  for (const auto& [key, value] : after) {
    keys.insert(key);
  }
  return std::ranges::any_of(keys, [&](const std::string& key) {
    if (k_checked.contains(key)) {
      return false;
    }
    const auto b = before.find(key);
    const auto a = after.find(key);
    return b == before.end() || a == after.end() || b->second != a->second;
  });
}

} // namespace

std::vector<std::string> shares_to_close(std::string_view old_text, std::string_view new_text) {
  const auto before = parse_sections(old_text);
  const auto after = parse_sections(new_text);
  std::vector<std::string> names;
  for (const auto& [folded, old_section] : before) {
    const auto found = after.find(folded);
    if (found == after.end() || access_shrank(old_section.second, found->second.second)) {
      if (validate::validate_share_name(old_section.first)) {
        names.push_back(old_section.first);
      }
    }
  }
  std::ranges::sort(names);
  return names;
}

std::size_t count_sections(std::string_view text) {
  std::size_t count = 0;
  for (const std::string_view line : split_lines(text)) {
    const std::string_view trimmed = trim(line);
    if (!trimmed.empty() && trimmed.front() == '[' && lower(trimmed) != "[global]") {
      ++count;
    }
  }
  return count;
}

Status check_testparm(const ProcessResult& result, std::size_t expected_sections) {
  static constexpr std::string_view k_markers[] = {"unknown parameter", "badly formed", "error",
                                                   "warning", "invalid"};
  std::string problems;
  for (const std::string_view line : split_lines(result.err)) {
    const std::string text = lower(line);
    if (std::ranges::any_of(k_markers, [&](auto m) { return text.find(m) != std::string::npos; })) {
      problems += (problems.empty() ? "" : "; ") + std::string(trim(line));
    }
  }
  if (!result.ok()) {
    return fail(ErrorCode::bad_request, "SAMBA-TESTPARM-FAILED: testparm exited with status " +
                                            std::to_string(result.exit_code) +
                                            (problems.empty() ? "" : ": " + problems));
  }
  if (!problems.empty()) {
    return fail(ErrorCode::bad_request, "SAMBA-TESTPARM-FAILED: testparm: " + problems);
  }
  const std::size_t found = count_sections(result.out);
  if (found != expected_sections) {
    return fail(ErrorCode::bad_request, "SAMBA-TESTPARM-FAILED: testparm read " +
                                            std::to_string(found) + " share sections, " +
                                            std::to_string(expected_sections) + " were written");
  }
  return {};
}

SambaConfigWriter::SambaConfigWriter(ProcessRunner& runner, SambaPaths paths)
    : m_runner(runner), m_paths(std::move(paths)) {}

Status SambaConfigWriter::validate_file(const fs::path& file, std::size_t expected_sections) {
  Command command =
      host_command("testparm", {"-s", "--suppress-prompt", file.string()}, k_testparm_timeout);
  auto result = m_runner.run(command);
  if (!result) {
    return std::unexpected(result.error());
  }
  return check_testparm(*result, expected_sections);
}

Status SambaConfigWriter::smbcontrol(std::vector<std::string> args) {
  args.insert(args.begin(), "--configfile=" + m_paths.config.string());
  Command command = host_command("smbcontrol", std::move(args), k_smbcontrol_timeout);
  auto result = m_runner.run(command);
  if (!result) {
    return std::unexpected(result.error());
  }
  if (auto status = check_exit(command, *result); !status) {
    return fail(ErrorCode::unavailable, "SAMBA-SMBCONTROL-FAILED: " + status.error().message);
  }
  return {};
}

Status SambaConfigWriter::reload() {
  return smbcontrol({"smbd", "reload-config"});
}

Status SambaConfigWriter::close_share(std::string_view name) {
  if (auto status = validate::validate_share_name(name); !status) {
    return status;
  }
  return smbcontrol({"smbd", "close-share", std::string(name)});
}

void SambaConfigWriter::remove_stale_temporaries() {
  // write_file_atomic's temporaries are ".<name>.tmp-<hex>" beside the target; a process killed
  // between their creation and the rename leaves one. This writer is the file's only writer, so
  // any such file is a leftover.
  const std::string prefix = "." + m_paths.include.filename().string() + ".tmp-";
  const std::string marker_prefix = "." + m_paths.include.filename().string() + ".pending.tmp-";
  std::error_code ec;
  for (fs::directory_iterator it(m_paths.include.parent_path(), ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if ((name.starts_with(prefix) || name.starts_with(marker_prefix)) && it->is_regular_file(ec)) {
      fs::remove(it->path(), ec);
    }
  }
}

fs::path SambaConfigWriter::pending_path() const {
  return m_paths.include.parent_path() / ("." + m_paths.include.filename().string() + ".pending");
}

Status SambaConfigWriter::write_pending() {
  std::string text;
  for (const std::string& name : m_close_pending) {
    text += name + "\n";
  }
  AtomicWriteOptions options;
  options.mode = 0600;
  return write_file_atomic(pending_path(), text, options);
}

void SambaConfigWriter::load_pending() {
  auto text = read_file(pending_path(), k_max_config_bytes);
  if (!text) {
    return; // none (or unreadable: nothing known to be owed)
  }
  m_reload_pending = true;
  std::size_t start = 0;
  while (start < text->size()) {
    std::size_t end = text->find('\n', start);
    if (end == std::string::npos) {
      end = text->size();
    }
    std::string name = text->substr(start, end - start);
    start = end + 1;
    // Only valid share names reach smbcontrol's argv (close_share checks again).
    if (validate::validate_share_name(name) &&
        std::ranges::find(m_close_pending, name) == m_close_pending.end()) {
      m_close_pending.push_back(std::move(name));
    }
  }
}

Result<ApplyReport> SambaConfigWriter::apply(std::string_view text) {
  ApplyReport report;
  if (!m_swept) {
    remove_stale_temporaries();
    load_pending();
    m_swept = true;
  }
  std::string old_text;
  if (auto old = read_file(m_paths.include, k_max_config_bytes)) {
    old_text = std::move(*old);
  } else if (old.error().code != ErrorCode::not_found) {
    return std::unexpected(old.error());
  }
  if (old_text != text) {
    const std::size_t expected = count_sections(text);
    AtomicWriteOptions options;
    options.mode = 0644;
    options.validate = [&](const fs::path& temp) { return validate_file(temp, expected); };
    // What the new file makes owed is recorded before the rename (see the header).
    std::vector<std::string> owed = m_close_pending;
    for (std::string& name : shares_to_close(old_text, text)) {
      if (std::ranges::find(owed, name) == owed.end()) {
        owed.push_back(std::move(name));
      }
    }
    std::swap(owed, m_close_pending);
    if (auto status = write_pending(); !status) {
      m_close_pending = std::move(owed);
      return std::unexpected(status.error());
    }
    if (auto status = write_file_atomic(m_paths.include, text, options); !status) {
      std::swap(owed, m_close_pending); // the old file stays: owed what was owed before
      std::error_code ec;
      if (!m_reload_pending && m_close_pending.empty()) {
        fs::remove(pending_path(), ec);
      } else {
        (void)write_pending();
      }
      return std::unexpected(status.error());
    }
    report.written = true;
    m_reload_pending = true;
  }
  if (!m_reload_pending) {
    return report;
  }
  if (auto status = reload(); !status) {
    return std::unexpected(status.error());
  }
  m_reload_pending = false;
  report.reloaded = true;
  // Close after the reload: a client reconnecting at once must meet the new rules.
  std::vector<std::string> failed;
  Status first_error;
  for (const std::string& name : m_close_pending) {
    if (auto status = close_share(name); !status) {
      failed.push_back(name);
      if (first_error) {
        first_error = status;
      }
    } else {
      report.closed.push_back(name);
    }
  }
  m_close_pending = std::move(failed);
  if (!first_error) {
    (void)write_pending(); // the next apply() retries; a crash before it keeps them owed
    return std::unexpected(first_error.error());
  }
  std::error_code ec;
  fs::remove(pending_path(), ec); // nothing owed any more
  return report;
}

std::optional<std::string> with_include_line(std::string_view text, const fs::path& include_path) {
  const std::vector<std::string_view> lines = split_lines(text);
  const std::string wanted = include_path.string();
  std::optional<std::size_t> kept;         // the include line in [global] we keep
  std::vector<std::size_t> drop;           // other copies of it
  std::optional<std::size_t> global;       // the first [global] header
  std::optional<std::size_t> after_global; // the header after it (or lines.size())
  bool in_global = true;                   // lines before any header belong to [global]
  bool continued = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const bool was_continued = continued;
    continued = !trim(line).empty() && trim(line).back() == '\\';
    if (was_continued) {
      continue;
    }
    if (const auto name = section_header(line)) {
      in_global = lower(*name) == "global";
      if (global && !after_global) {
        after_global = i;
      }
      if (in_global && !global) {
        global = i;
      }
      continue;
    }
    const auto param = parameter(line);
    if (!param || param->first != "include" || param->second != wanted || continued) {
      continue;
    }
    if (in_global && !kept) {
      kept = i;
    } else {
      drop.push_back(i);
    }
  }
  if (kept && drop.empty()) {
    return std::nullopt;
  }
  std::optional<std::size_t> insert_at;
  if (!kept && global) {
    // At the end of the first [global] section, before the comments leading the next section.
    std::size_t at = after_global.value_or(lines.size());
    while (at > *global + 1) {
      const std::string_view previous = trim(lines[at - 1]);
      if (!previous.empty() && previous.front() != '#' && previous.front() != ';') {
        break;
      }
      --at;
    }
    insert_at = at;
  }
  const std::string include_line = "\tinclude = " + wanted + "\n";
  std::string out;
  out.reserve(text.size() + include_line.size() + 16);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (insert_at == i) {
      if (i > 0 && !trim(lines[i - 1]).empty() && trim(lines[i - 1]).back() == '\\') {
        out += "\n"; // end a dangling continuation before our line
      }
      out += include_line;
    }
    if (std::ranges::find(drop, i) == drop.end()) {
      out += lines[i];
      if (i + 1 < lines.size() || text.ends_with('\n')) {
        out += "\n";
      }
    }
  }
  if (!kept && insert_at == lines.size()) {
    if (!out.empty() && !out.ends_with('\n')) {
      out += "\n";
    }
    if (!lines.empty() && !trim(lines.back()).empty() && trim(lines.back()).back() == '\\') {
      out += "\n"; // end a dangling continuation before our line
    }
    out += include_line;
  } else if (!kept && !global) {
    if (!out.empty() && !out.ends_with('\n')) {
      out += "\n";
    }
    out += "\n[global]\n" + include_line;
  }
  return out;
}

Result<bool> ensure_include(ProcessRunner& runner, const fs::path& main_conf,
                            const fs::path& include_path) {
  if (auto valid = validate::validate_path(include_path.string()); !valid) {
    return std::unexpected(valid.error());
  }
  std::error_code ec;
  const fs::path target = fs::canonical(main_conf, ec); // an admin's symlink is followed
  if (ec) {
    return fail(ec == std::errc::no_such_file_or_directory ? ErrorCode::not_found
                                                           : ErrorCode::internal,
                main_conf.string() + ": " + ec.message());
  }
  auto text = read_file(target, k_max_config_bytes);
  if (!text) {
    return std::unexpected(text.error());
  }
  const auto updated = with_include_line(*text, include_path);
  if (!updated) {
    return false;
  }
  struct stat st {};
  if (::stat(target.c_str(), &st) != 0) {
    return fail(ErrorCode::internal, "stat " + target.string() + " failed");
  }
  AtomicWriteOptions options;
  options.mode = st.st_mode & 07777;
  options.owner_uid = st.st_uid;
  options.owner_gid = st.st_gid;
  options.validate = [&](const fs::path& temp) -> Status {
    Command command =
        host_command("testparm", {"-s", "--suppress-prompt", temp.string()}, k_testparm_timeout);
    auto result = runner.run(command);
    if (!result) {
      return std::unexpected(result.error());
    }
    if (auto status = check_exit(command, *result); !status) {
      return fail(ErrorCode::bad_request, "SAMBA-TESTPARM-FAILED: " + status.error().message);
    }
    return {};
  };
  if (auto status = write_file_atomic(target, *updated, options); !status) {
    return std::unexpected(status.error());
  }
  return true;
}

} // namespace sharectl::agent::host
