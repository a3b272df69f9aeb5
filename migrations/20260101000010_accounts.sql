-- Officers' accounts (seed 002 Art. 10-11, seed 003 Art. 5): one named person each (identified by
-- the 12-digit personal ID), roles by function, a scope of provinces and communes, and the dates
-- the lock rules read against the database's clock. Kept in `personal`: they hold personal data.
CREATE TABLE roles (
    name text PRIMARY KEY CHECK (name ~ '^[a-z_]{2,32}$'),
    description text NOT NULL,
    -- Whether the role sees personal data (holders, parties) within its scope.
    personal_data boolean NOT NULL,
    -- Whether the role's scope is the whole country.
    everywhere boolean NOT NULL DEFAULT false
);

INSERT INTO roles (name, description, personal_data, everywhere) VALUES
    ('admin', 'Registration office: manages accounts, sees everything', true, true),
    ('registrar', 'Edits cadastral data; sees personal data in scope', true, false),
    ('commune_officer', 'Reads personal data and creates cadastral data in its communes', true, false),
    ('market_officer', 'Projects, housing units and transactions', false, false),
    ('justice_officer', 'Security interests', true, false),
    ('investor', 'Its own projects and transactions only', false, false),
    ('broker', 'Its own transactions only', false, false),
    ('viewer', 'State staff: open data and non-personal internal fields', false, false);

CREATE TABLE personal.accounts (
    username text PRIMARY KEY CHECK (username ~ '^[a-z][a-z0-9._-]{2,31}$'),
    full_name text NOT NULL CHECK (full_name <> ''),
    personal_id text NOT NULL UNIQUE CHECK (personal_id ~ '^[0-9]{12}$'),
    organisation text NOT NULL CHECK (organisation <> ''),
    password_hash text NOT NULL,
    -- Set by the admin: only lets the account change its password.
    initial_password boolean NOT NULL DEFAULT true,
    password_set_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    -- Contractor accounts end when their work is accepted.
    valid_until date,
    locked_by_admin text CHECK (locked_by_admin IN ('lost', 'left', 'other')),
    failed_attempts integer NOT NULL DEFAULT 0,
    throttled_until timestamptz
);

CREATE TABLE personal.account_roles (
    username text NOT NULL REFERENCES personal.accounts (username) ON DELETE CASCADE,
    role text NOT NULL REFERENCES roles (name),
    PRIMARY KEY (username, role)
);

-- A province code covers its 2025 communes and the pre-reform communes now part of it.
CREATE TABLE personal.account_scopes (
    username text NOT NULL REFERENCES personal.accounts (username) ON DELETE CASCADE,
    code text NOT NULL CHECK (code ~ '^([0-9]{2}|[0-9]{5})$'),
    PRIMARY KEY (username, code)
);
