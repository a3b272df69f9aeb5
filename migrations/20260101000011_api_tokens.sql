-- API tokens for programs: issued per account with an expiry and a subset of the account's scope,
-- shown once and kept only as a SHA-256 digest, revocable.
CREATE TABLE personal.api_tokens (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text NOT NULL REFERENCES personal.accounts (username) ON DELETE CASCADE,
    digest bytea NOT NULL UNIQUE CHECK (length(digest) = 32),
    -- Empty: the account's whole scope.
    scope text[] NOT NULL DEFAULT '{}',
    issued_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
