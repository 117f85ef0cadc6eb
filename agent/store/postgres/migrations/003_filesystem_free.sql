-- sharectl store schema 3 (PostgreSQL): the free bytes a filesystem reports with each heartbeat.
ALTER TABLE filesystems ADD COLUMN free_bytes BIGINT NOT NULL DEFAULT 0;
