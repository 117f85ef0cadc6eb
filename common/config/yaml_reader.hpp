// Reading YAML configuration files into typed structs: a mapping reader that remembers which
// keys were asked for, so that unknown keys are refused with their full path ("samba.inclde")
// and a close accepted name, and that puts "origin:line:" on every message. yaml-cpp stays in
// yaml_reader.cpp; this header does not include it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/util/error.hpp"

namespace sharectl::config {

// One scalar value read from the file, with where it came from.
struct YamlScalar {
  // The scalar's text (for a quoted scalar, without the quotes).
  std::string value;
  // The key path it was found at, e.g. "samba.include" or "filesystems[0].path".
  std::string path;
  // 1-based line number in the file; 0 when unknown.
  int line = 0;
  // Whether it was written quoted (or explicitly tagged), i.e. is a string, never a boolean.
  bool quoted = false;
};

// A YAML mapping being read. Null values ("key:" or "key: ~") read as absent, so that the
// key's default applies. Messages are "ORIGIN:LINE: …" and name keys by their full path.
// Configuration errors fail with bad_request.
class YamlMap {
public:
  ~YamlMap();
  YamlMap(YamlMap&&) noexcept;
  YamlMap& operator=(YamlMap&&) noexcept;

  // A scalar value, nullopt when absent or null; fails when it is a mapping or a sequence.
  Result<std::optional<YamlScalar>> scalar(std::string_view key);

  // A boolean written plainly as true/false (also True, TRUE, False, FALSE), nullopt when
  // absent or null; fails on anything else ("yes", "1", "\"true\"", a mapping).
  Result<std::optional<bool>> boolean(std::string_view key);

  // A nested mapping, nullopt when absent or null; fails when it is a scalar or a sequence.
  Result<std::optional<YamlMap>> map(std::string_view key);

  // A sequence of scalars ("[a, b]" or a block list), nullopt when absent or null; fails when
  // it is not a sequence or an element is not a scalar. Elements' paths are "key[i]".
  Result<std::optional<std::vector<YamlScalar>>> scalar_list(std::string_view key);

  // A sequence of mappings, nullopt when absent or null; fails when it is not a sequence or an
  // element is not a mapping. Elements' paths are "key[i]".
  Result<std::optional<std::vector<YamlMap>>> map_list(std::string_view key);

  // Every entry of this mapping as (name, mapping) for maps keyed by user-chosen names (e.g.
  // client profiles); marks them all as known. A null entry reads as an empty mapping. Fails
  // when an entry's value is a scalar or a sequence.
  Result<std::vector<std::pair<YamlScalar, YamlMap>>> named_maps();

  // Succeeds when every key of the mapping was asked for; otherwise fails naming the first
  // unknown key (in file order) by its full path, with its line and a close accepted key.
  Status finish() const;

  // An error "ORIGIN:LINE: key "PATH": MESSAGE" about a value read from this file.
  Error value_error(const YamlScalar& value, std::string_view message) const;

  // An error "ORIGIN:LINE: MESSAGE" at a given line (0: no line).
  Error error_at(int line, std::string_view message) const;

  // The full path of a key of this mapping ("samba.include"; "key" at the top level).
  std::string key_path(std::string_view key) const;

  // The line of the mapping itself (1-based; 0 when unknown, e.g. an empty document).
  int line() const;

  // The line of a key of this mapping (1-based); 0 when the key is absent. Marks it known.
  int key_line(std::string_view key);

private:
  struct Impl;
  explicit YamlMap(std::unique_ptr<Impl> impl);
  friend Result<YamlMap> parse_yaml_mapping(std::string_view text, std::string_view origin);

  std::unique_ptr<Impl> m_impl;
};

// Parses one YAML document whose top level is a mapping; an empty document (or only comments)
// reads as an empty mapping. Fails with bad_request, "ORIGIN:LINE: …", on a YAML syntax error,
// several documents, a top level that is not a mapping, a duplicate key at any depth, or a key
// that is not a plain scalar.
Result<YamlMap> parse_yaml_mapping(std::string_view text, std::string_view origin);

// `text` as one YAML scalar, quoted and escaped when YAML needs it ("a: b" → "'a: b'"), plain
// otherwise. Never fails.
std::string yaml_scalar(std::string_view text);

} // namespace sharectl::config
