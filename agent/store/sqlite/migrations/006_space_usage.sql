-- sharectl store schema 6 (SQLite): what a space uses, as its host last measured it (bookkeeping
-- written by the heartbeat only: no revision), when that was (NULL: not yet), and the port a
-- server's smbd listens on (desired state of the server row).
ALTER TABLE spaces ADD COLUMN used_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spaces ADD COLUMN used_at INTEGER;
ALTER TABLE servers ADD COLUMN smb_port INTEGER NOT NULL DEFAULT 445
  CHECK (smb_port BETWEEN 1 AND 65535);
-- The store revision the server's last complete reconcile pass applied (bookkeeping: --wait of
-- a share delete follows it).
ALTER TABLE servers ADD COLUMN observed_revision INTEGER NOT NULL DEFAULT 0;
