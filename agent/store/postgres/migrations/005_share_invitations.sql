-- sharectl store schema 5 (PostgreSQL): whether grants on a share are invitations the user
-- accepts first; NULL follows the agent config's shares.invitations.
ALTER TABLE shares ADD COLUMN invitations BOOLEAN;
