-- sharectl store schema 3 (SQLite): the free bytes a filesystem reports with each heartbeat.
ALTER TABLE filesystems ADD COLUMN free_bytes INTEGER NOT NULL DEFAULT 0;
