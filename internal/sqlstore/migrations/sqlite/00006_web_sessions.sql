-- Sessions of the web UI, in the table of every other session.
--
-- A browser holds an opaque random session id in its cookie; the database
-- keeps only its hash, in sessions.cookie_hash, which is NULL for a session
-- of the API and the CLI (whose refresh tokens are in refresh_tokens; a web
-- session has none). Because both kinds are rows of one table, everything
-- that ends an employee's sessions (logout, a password change or reset, a
-- role change, a deactivation) and the purge of expired sessions apply to
-- both alike. The unique index finds the session of a cookie on every
-- request of the web UI.
--
-- Down deletes the web sessions first: without their column they would be
-- sessions that nothing can use.

-- +goose Up
ALTER TABLE sessions ADD COLUMN cookie_hash TEXT;
CREATE UNIQUE INDEX sessions_cookie_hash_idx ON sessions (cookie_hash);

-- +goose Down
DROP INDEX sessions_cookie_hash_idx;
DELETE FROM sessions WHERE cookie_hash IS NOT NULL;
ALTER TABLE sessions DROP COLUMN cookie_hash;
