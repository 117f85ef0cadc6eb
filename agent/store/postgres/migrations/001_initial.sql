-- sharectl store schema 1 (PostgreSQL): the whole domain of DESIGN.md.
-- Conventions: ids are UUID text; times are microseconds since the Unix epoch, UTC; every
-- document row has revision = the store revision of its last change (store_meta.revision).

CREATE TABLE store_meta (
  id                 INTEGER PRIMARY KEY CHECK (id = 1),
  revision           BIGINT NOT NULL,
  compacted_revision BIGINT NOT NULL
);
INSERT INTO store_meta (id, revision, compacted_revision) VALUES (1, 0, 0);

-- The change feed: one row per object changed in a revision.
CREATE TABLE changes (
  revision  BIGINT NOT NULL,
  kind      TEXT NOT NULL,
  object_id TEXT NOT NULL,
  deleted   BOOLEAN NOT NULL,
  PRIMARY KEY (revision, kind, object_id)
);

CREATE TABLE users (
  id              TEXT PRIMARY KEY,
  revision        BIGINT NOT NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  username        TEXT NOT NULL,
  email           TEXT,
  auth_source     TEXT NOT NULL CHECK (auth_source IN ('local', 'ldap', 'kerberos', 'oidc')),
  is_active       BOOLEAN NOT NULL,
  is_manager      BOOLEAN NOT NULL,
  is_admin        BOOLEAN NOT NULL,
  allowance_bytes BIGINT,
  last_login      BIGINT,
  password_hash   TEXT,  -- never rendered by the API (UserSecrets)
  nt_hash         TEXT,  -- never rendered by the API (UserSecrets)
  CONSTRAINT users_username_key UNIQUE (username),
  CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE roles (
  id          TEXT PRIMARY KEY,
  revision    BIGINT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  name        TEXT NOT NULL,
  description TEXT NOT NULL,
  builtin     BOOLEAN NOT NULL,
  CONSTRAINT roles_name_key UNIQUE (name)
);

CREATE TABLE rules (
  id            TEXT PRIMARY KEY,
  revision      BIGINT NOT NULL,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  role_id       TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  resource_glob TEXT NOT NULL,
  level         TEXT NOT NULL CHECK (level IN ('view', 'client', 'modify', 'admin')),
  priority      INTEGER NOT NULL,
  CONSTRAINT rules_role_id_resource_glob_key UNIQUE (role_id, resource_glob)
);

CREATE TABLE groups (
  id          TEXT PRIMARY KEY,
  revision    BIGINT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  name        TEXT NOT NULL,
  description TEXT NOT NULL,
  external_id TEXT,  -- hash of the LDAP DN; NULL for a local group
  CONSTRAINT groups_name_key UNIQUE (name),
  CONSTRAINT groups_external_id_key UNIQUE (external_id)
);

CREATE TABLE group_members (
  group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  revision   BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (group_id, user_id)
);

CREATE TABLE servers (
  id                 TEXT PRIMARY KEY,
  revision           BIGINT NOT NULL,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL,
  name               TEXT NOT NULL,
  address            TEXT NOT NULL,
  role_samba         BOOLEAN NOT NULL,
  role_iscsi         BOOLEAN NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('up', 'down')),
  last_heartbeat     BIGINT,
  load_average       DOUBLE PRECISION NOT NULL,
  memory_total_bytes BIGINT NOT NULL,
  memory_used_bytes  BIGINT NOT NULL,
  net_rx_bytes       BIGINT NOT NULL,
  net_tx_bytes       BIGINT NOT NULL,
  CONSTRAINT servers_name_key UNIQUE (name)
);

CREATE TABLE iscsi_targets (
  id                 TEXT PRIMARY KEY,
  revision           BIGINT NOT NULL,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'error', 'deleting')),
  status_message     TEXT NOT NULL,
  observed_revision  BIGINT NOT NULL,
  server_id          TEXT NOT NULL REFERENCES servers (id),
  iqn                TEXT NOT NULL,
  consumer_server_id TEXT REFERENCES servers (id),
  allowed_initiators TEXT NOT NULL,  -- one IQN a line
  chap_user          TEXT NOT NULL,
  chap_secret        TEXT NOT NULL,
  CONSTRAINT iscsi_targets_iqn_key UNIQUE (iqn)
);
CREATE INDEX iscsi_targets_server_idx ON iscsi_targets (server_id);
CREATE INDEX iscsi_targets_consumer_idx ON iscsi_targets (consumer_server_id);

CREATE TABLE iscsi_luns (
  id           TEXT PRIMARY KEY,
  revision     BIGINT NOT NULL,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  target_id    TEXT NOT NULL REFERENCES iscsi_targets (id),
  lun          INTEGER NOT NULL,
  backstore    TEXT NOT NULL CHECK (backstore IN ('fileio', 'block')),
  backing_path TEXT NOT NULL,
  size_bytes   BIGINT NOT NULL,
  CONSTRAINT iscsi_luns_target_lun_key UNIQUE (target_id, lun)
);

CREATE TABLE filesystems (
  id                TEXT PRIMARY KEY,
  revision          BIGINT NOT NULL,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'error', 'deleting')),
  status_message    TEXT NOT NULL,
  observed_revision BIGINT NOT NULL,
  server_id         TEXT NOT NULL REFERENCES servers (id),
  path              TEXT NOT NULL,
  driver            TEXT NOT NULL CHECK (driver IN ('btrfs', 'xfs', 'dir')),
  capacity_bytes    BIGINT NOT NULL,
  allocated_bytes   BIGINT NOT NULL,
  iscsi_lun_id      TEXT REFERENCES iscsi_luns (id),
  CONSTRAINT filesystems_server_path_key UNIQUE (server_id, path)
);
CREATE INDEX filesystems_lun_idx ON filesystems (iscsi_lun_id);

CREATE TABLE spaces (
  id                TEXT PRIMARY KEY,
  revision          BIGINT NOT NULL,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'error', 'deleting')),
  status_message    TEXT NOT NULL,
  observed_revision BIGINT NOT NULL,
  owner_id          TEXT NOT NULL REFERENCES users (id),
  name              TEXT NOT NULL,
  size_bytes        BIGINT NOT NULL,
  filesystem_id     TEXT NOT NULL REFERENCES filesystems (id),
  path              TEXT NOT NULL,
  CONSTRAINT spaces_owner_name_key UNIQUE (owner_id, name)
);
CREATE INDEX spaces_filesystem_idx ON spaces (filesystem_id);

-- subject is a user id, a group id or an external group name; user_id / group_id repeat it
-- for the first two so that deleting the user or group deletes the binding. scope_key is the
-- space id or '' for the cluster (a sentinel: NULLs are distinct in UNIQUE constraints).
CREATE TABLE bindings (
  id           TEXT PRIMARY KEY,
  revision     BIGINT NOT NULL,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  role_id      TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('user', 'group', 'external_group')),
  subject      TEXT NOT NULL,
  space_id     TEXT REFERENCES spaces (id) ON DELETE CASCADE,
  user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
  group_id     TEXT REFERENCES groups (id) ON DELETE CASCADE,
  scope_key    TEXT NOT NULL,
  CONSTRAINT bindings_role_subject_scope_key UNIQUE (role_id, subject_kind, subject, scope_key)
);
CREATE INDEX bindings_space_idx ON bindings (space_id);

CREATE TABLE shares (
  id                TEXT PRIMARY KEY,
  revision          BIGINT NOT NULL,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'error', 'deleting')),
  status_message    TEXT NOT NULL,
  observed_revision BIGINT NOT NULL,
  name              TEXT NOT NULL,
  name_folded       TEXT NOT NULL,  -- ASCII lower case: share names are unique ignoring case
  space_id          TEXT NOT NULL REFERENCES spaces (id),
  subdir            TEXT NOT NULL,
  read_only         BOOLEAN NOT NULL,
  browseable        BOOLEAN NOT NULL,
  comment           TEXT NOT NULL,
  CONSTRAINT shares_name_folded_key UNIQUE (name_folded)
);
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
  revision   BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (share_id, user_id, group_key)
);

-- A group's grant on a share: the source of its members' share_acl rows.
CREATE TABLE share_group_grants (
  share_id   TEXT NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
  group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  level      TEXT NOT NULL CHECK (level IN ('read', 'write')),
  revision   BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (share_id, group_id)
);

CREATE TABLE apps (
  id           TEXT PRIMARY KEY,
  revision     BIGINT NOT NULL,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  token_sha256 TEXT NOT NULL,
  last_used_at BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  CONSTRAINT apps_token_sha256_key UNIQUE (token_sha256)
);
CREATE INDEX apps_user_idx ON apps (user_id);

-- Append-only; actor_id is not a reference so that records outlive their users.
CREATE TABLE audit_events (
  id             TEXT PRIMARY KEY,
  revision       BIGINT NOT NULL,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
  actor_id       TEXT,
  actor_name     TEXT NOT NULL,
  source_address TEXT NOT NULL,
  action         TEXT NOT NULL,
  resource       TEXT NOT NULL,
  outcome        TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied', 'failed')),
  detail         TEXT NOT NULL
);

CREATE TABLE notify_methods (
  id         TEXT PRIMARY KEY,
  revision   BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('webhook', 'email', 'slack', 'telegram')),
  target     TEXT NOT NULL,
  owner_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
  enabled    BOOLEAN NOT NULL,
  CONSTRAINT notify_methods_name_key UNIQUE (name)
);
CREATE INDEX notify_methods_owner_idx ON notify_methods (owner_id);

CREATE TABLE notify_hooks (
  id            TEXT PRIMARY KEY,
  revision      BIGINT NOT NULL,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  method_id     TEXT NOT NULL REFERENCES notify_methods (id) ON DELETE CASCADE,
  event         TEXT NOT NULL
                CHECK (event IN ('server_up', 'server_down', 'space_ready', 'space_failed',
                                 'invitation')),
  resource_glob TEXT NOT NULL
);
CREATE INDEX notify_hooks_method_idx ON notify_hooks (method_id);

CREATE TABLE join_tokens (
  id                TEXT PRIMARY KEY,
  revision          BIGINT NOT NULL,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  token_sha256      TEXT NOT NULL,
  description       TEXT NOT NULL,
  role_samba        BOOLEAN NOT NULL,
  role_iscsi        BOOLEAN NOT NULL,
  expires_at        BIGINT NOT NULL,
  created_by        TEXT REFERENCES users (id) ON DELETE SET NULL,
  used_at           BIGINT,
  used_by_server_id TEXT REFERENCES servers (id) ON DELETE SET NULL,
  CONSTRAINT join_tokens_token_sha256_key UNIQUE (token_sha256)
);
CREATE INDEX join_tokens_created_by_idx ON join_tokens (created_by);
CREATE INDEX join_tokens_server_idx ON join_tokens (used_by_server_id);
