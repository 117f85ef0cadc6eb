-- sharectl store schema 1 (SQLite): the whole domain of DESIGN.md.
-- Conventions: ids are UUID text; times are microseconds since the Unix epoch, UTC; every
-- document row has revision = the store revision of its last change (store_meta.revision).

CREATE TABLE store_meta (
  id                 INTEGER PRIMARY KEY CHECK (id = 1),
  revision           INTEGER NOT NULL,
  compacted_revision INTEGER NOT NULL
) STRICT;
INSERT INTO store_meta (id, revision, compacted_revision) VALUES (1, 0, 0);

-- The change feed: one row per object changed in a revision.
CREATE TABLE changes (
  revision  INTEGER NOT NULL,
  kind      TEXT NOT NULL,
  object_id TEXT NOT NULL,
  deleted   INTEGER NOT NULL,
  PRIMARY KEY (revision, kind, object_id)
) STRICT;

CREATE TABLE users (
  id              TEXT PRIMARY KEY,
  revision        INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  username        TEXT NOT NULL,
  email           TEXT,
  auth_source     TEXT NOT NULL CHECK (auth_source IN ('local', 'ldap', 'kerberos', 'oidc')),
  is_active       INTEGER NOT NULL,
  is_manager      INTEGER NOT NULL,
  is_admin        INTEGER NOT NULL,
  allowance_bytes INTEGER,
  last_login      INTEGER,
  password_hash   TEXT,  -- never rendered by the API (UserSecrets)
  nt_hash         TEXT,  -- never rendered by the API (UserSecrets)
  CONSTRAINT users_username_key UNIQUE (username),
  CONSTRAINT users_email_key UNIQUE (email)
) STRICT;

CREATE TABLE roles (
  id          TEXT PRIMARY KEY,
  revision    INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  name        TEXT NOT NULL,
  description TEXT NOT NULL,
  builtin     INTEGER NOT NULL,
  CONSTRAINT roles_name_key UNIQUE (name)
) STRICT;

CREATE TABLE rules (
  id            TEXT PRIMARY KEY,
  revision      INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  role_id       TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  resource_glob TEXT NOT NULL,
  level         TEXT NOT NULL CHECK (level IN ('view', 'client', 'modify', 'admin')),
  priority      INTEGER NOT NULL,
  CONSTRAINT rules_role_id_resource_glob_key UNIQUE (role_id, resource_glob)
) STRICT;

CREATE TABLE groups (
  id          TEXT PRIMARY KEY,
  revision    INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  name        TEXT NOT NULL,
  description TEXT NOT NULL,
  external_id TEXT,  -- hash of the LDAP DN; NULL for a local group
  CONSTRAINT groups_name_key UNIQUE (name),
  CONSTRAINT groups_external_id_key UNIQUE (external_id)
) STRICT;

CREATE TABLE group_members (
  group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  revision   INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, user_id)
) STRICT;

CREATE TABLE servers (
  id                 TEXT PRIMARY KEY,
  revision           INTEGER NOT NULL,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  name               TEXT NOT NULL,
  address            TEXT NOT NULL,
  role_samba         INTEGER NOT NULL,
  role_iscsi         INTEGER NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('up', 'down')),
  last_heartbeat     INTEGER,
  load_average       REAL             NOT NULL,
  memory_total_bytes INTEGER NOT NULL,
  memory_used_bytes  INTEGER NOT NULL,
  net_rx_bytes       INTEGER NOT NULL,
  net_tx_bytes       INTEGER NOT NULL,
  CONSTRAINT servers_name_key UNIQUE (name)
) STRICT;

CREATE TABLE iscsi_targets (
  id                 TEXT PRIMARY KEY,
  revision           INTEGER NOT NULL,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'error', 'deleting')),
  status_message     TEXT NOT NULL,
  observed_revision  INTEGER NOT NULL,
  server_id          TEXT NOT NULL REFERENCES servers (id),
  iqn                TEXT NOT NULL,
  consumer_server_id TEXT REFERENCES servers (id),
  allowed_initiators TEXT NOT NULL,  -- one IQN a line
  chap_user          TEXT NOT NULL,
  chap_secret        TEXT NOT NULL,
  CONSTRAINT iscsi_targets_iqn_key UNIQUE (iqn)
) STRICT;
CREATE INDEX iscsi_targets_server_idx ON iscsi_targets (server_id);
CREATE INDEX iscsi_targets_consumer_idx ON iscsi_targets (consumer_server_id);

CREATE TABLE iscsi_luns (
  id           TEXT PRIMARY KEY,
  revision     INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  target_id    TEXT NOT NULL REFERENCES iscsi_targets (id),
  lun          INTEGER NOT NULL,
  backstore    TEXT NOT NULL CHECK (backstore IN ('fileio', 'block')),
  backing_path TEXT NOT NULL,
  size_bytes   INTEGER NOT NULL,
  CONSTRAINT iscsi_luns_target_lun_key UNIQUE (target_id, lun)
) STRICT;

CREATE TABLE filesystems (
  id                TEXT PRIMARY KEY,
  revision          INTEGER NOT NULL,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'error', 'deleting')),
  status_message    TEXT NOT NULL,
  observed_revision INTEGER NOT NULL,
  server_id         TEXT NOT NULL REFERENCES servers (id),
  path              TEXT NOT NULL,
  driver            TEXT NOT NULL CHECK (driver IN ('btrfs', 'xfs', 'dir')),
  capacity_bytes    INTEGER NOT NULL,
  allocated_bytes   INTEGER NOT NULL,
  iscsi_lun_id      TEXT REFERENCES iscsi_luns (id),
  CONSTRAINT filesystems_server_path_key UNIQUE (server_id, path)
) STRICT;
CREATE INDEX filesystems_lun_idx ON filesystems (iscsi_lun_id);

CREATE TABLE spaces (
  id                TEXT PRIMARY KEY,
  revision          INTEGER NOT NULL,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'error', 'deleting')),
  status_message    TEXT NOT NULL,
  observed_revision INTEGER NOT NULL,
  owner_id          TEXT NOT NULL REFERENCES users (id),
  name              TEXT NOT NULL,
  size_bytes        INTEGER NOT NULL,
  filesystem_id     TEXT NOT NULL REFERENCES filesystems (id),
  path              TEXT NOT NULL,
  CONSTRAINT spaces_owner_name_key UNIQUE (owner_id, name)
) STRICT;
CREATE INDEX spaces_filesystem_idx ON spaces (filesystem_id);

-- subject is a user id, a group id or an external group name; user_id / group_id repeat it
-- for the first two so that deleting the user or group deletes the binding. scope_key is the
-- space id or '' for the cluster (a sentinel: NULLs are distinct in UNIQUE constraints).
CREATE TABLE bindings (
  id           TEXT PRIMARY KEY,
  revision     INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  role_id      TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('user', 'group', 'external_group')),
  subject      TEXT NOT NULL,
  space_id     TEXT REFERENCES spaces (id) ON DELETE CASCADE,
  user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
  group_id     TEXT REFERENCES groups (id) ON DELETE CASCADE,
  scope_key    TEXT NOT NULL,
  CONSTRAINT bindings_role_subject_scope_key UNIQUE (role_id, subject_kind, subject, scope_key)
) STRICT;
CREATE INDEX bindings_space_idx ON bindings (space_id);

CREATE TABLE shares (
  id                TEXT PRIMARY KEY,
  revision          INTEGER NOT NULL,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'error', 'deleting')),
  status_message    TEXT NOT NULL,
  observed_revision INTEGER NOT NULL,
  name              TEXT NOT NULL,
  name_folded       TEXT NOT NULL,  -- ASCII lower case: share names are unique ignoring case
  space_id          TEXT NOT NULL REFERENCES spaces (id),
  subdir            TEXT NOT NULL,
  read_only         INTEGER NOT NULL,
  browseable        INTEGER NOT NULL,
  comment           TEXT NOT NULL,
  CONSTRAINT shares_name_folded_key UNIQUE (name_folded)
) STRICT;
CREATE INDEX shares_space_idx ON shares (space_id);

-- Multiple ACLs (seed 003): one row per (share, user, group-or-none); group_key is the group id
-- or '' for a direct grant. All rows of one (share, user) always carry the same state.
CREATE TABLE share_acl (
  share_id   TEXT NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  group_id   TEXT REFERENCES groups (id) ON DELETE CASCADE,
  group_key  TEXT NOT NULL,
  level      TEXT NOT NULL CHECK (level IN ('read', 'write')),
  state      TEXT NOT NULL CHECK (state IN ('pending', 'active')),
  revision   INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (share_id, user_id, group_key)
) STRICT;

-- A group's grant on a share: the source of its members' share_acl rows.
CREATE TABLE share_group_grants (
  share_id   TEXT NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
  group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  level      TEXT NOT NULL CHECK (level IN ('read', 'write')),
  revision   INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (share_id, group_id)
) STRICT;

CREATE TABLE apps (
  id           TEXT PRIMARY KEY,
  revision     INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  token_sha256 TEXT NOT NULL,
  last_used_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  CONSTRAINT apps_token_sha256_key UNIQUE (token_sha256)
) STRICT;
CREATE INDEX apps_user_idx ON apps (user_id);

-- Append-only; actor_id is not a reference so that records outlive their users.
CREATE TABLE audit_events (
  id             TEXT PRIMARY KEY,
  revision       INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  actor_id       TEXT,
  actor_name     TEXT NOT NULL,
  source_address TEXT NOT NULL,
  action         TEXT NOT NULL,
  resource       TEXT NOT NULL,
  outcome        TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied', 'failed')),
  detail         TEXT NOT NULL
) STRICT;

CREATE TABLE notify_methods (
  id         TEXT PRIMARY KEY,
  revision   INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('webhook', 'email', 'slack', 'telegram')),
  target     TEXT NOT NULL,
  owner_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
  enabled    INTEGER NOT NULL,
  CONSTRAINT notify_methods_name_key UNIQUE (name)
) STRICT;
CREATE INDEX notify_methods_owner_idx ON notify_methods (owner_id);

CREATE TABLE notify_hooks (
  id            TEXT PRIMARY KEY,
  revision      INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  method_id     TEXT NOT NULL REFERENCES notify_methods (id) ON DELETE CASCADE,
  event         TEXT NOT NULL
                CHECK (event IN ('server_up', 'server_down', 'space_ready', 'space_failed',
                                 'invitation')),
  resource_glob TEXT NOT NULL
) STRICT;
CREATE INDEX notify_hooks_method_idx ON notify_hooks (method_id);

CREATE TABLE join_tokens (
  id                TEXT PRIMARY KEY,
  revision          INTEGER NOT NULL,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  token_sha256      TEXT NOT NULL,
  description       TEXT NOT NULL,
  role_samba        INTEGER NOT NULL,
  role_iscsi        INTEGER NOT NULL,
  expires_at        INTEGER NOT NULL,
  created_by        TEXT REFERENCES users (id) ON DELETE SET NULL,
  used_at           INTEGER,
  used_by_server_id TEXT REFERENCES servers (id) ON DELETE SET NULL,
  CONSTRAINT join_tokens_token_sha256_key UNIQUE (token_sha256)
) STRICT;
CREATE INDEX join_tokens_created_by_idx ON join_tokens (created_by);
CREATE INDEX join_tokens_server_idx ON join_tokens (used_by_server_id);
