-- sharectl store schema 2 (SQLite): indexes for the access queries and the audit log.

-- A user's ACL rows (invitations, user deletion) and the effective level, index-only.
CREATE INDEX share_acl_user_idx ON share_acl (user_id, share_id, level, state);
-- A group's rows (member removal, group deletion).
CREATE INDEX share_acl_group_idx ON share_acl (group_id, user_id);
CREATE INDEX share_group_grants_group_idx ON share_group_grants (group_id);
-- The groups of a user (bindings via groups, member expansion).
CREATE INDEX group_members_user_idx ON group_members (user_id);
-- Bindings of a subject: direct, via groups, via external groups.
CREATE INDEX bindings_subject_idx ON bindings (subject_kind, subject);
CREATE INDEX bindings_user_idx ON bindings (user_id);
CREATE INDEX bindings_group_idx ON bindings (group_id);
-- audit list --since / --actor.
CREATE INDEX audit_events_time_idx ON audit_events (created_at);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, created_at);
