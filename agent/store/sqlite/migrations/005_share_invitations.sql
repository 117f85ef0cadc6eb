-- sharectl store schema 5 (SQLite): whether grants on a share are invitations the user accepts
-- first; NULL follows the agent config's shares.invitations.
ALTER TABLE shares ADD COLUMN invitations INTEGER;
