-- Web map sessions: a signed-in browser holds a random secret in an HttpOnly cookie; the
-- database keeps only its SHA-256 digest. A session ends when signed out or after its lifetime.
CREATE TABLE personal.sessions (
    digest bytea PRIMARY KEY CHECK (length(digest) = 32),
    username text NOT NULL REFERENCES personal.accounts (username) ON DELETE CASCADE,
    started_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ended_at timestamptz
);
CREATE INDEX sessions_username ON personal.sessions (username);
