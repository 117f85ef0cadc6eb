-- sharectl store schema 4 (SQLite): the user who created a local group manages it (admin on
-- groups/<name>); NULL for external groups and when that user is gone.
ALTER TABLE groups ADD COLUMN owner_id TEXT REFERENCES users (id) ON DELETE SET NULL;
