-- The security-interest registry (seed 003, Decree 99/2022): mortgages (thế chấp) of land use
-- rights and attached assets. Personal data (the security giver), so in the personal schema;
-- nothing is deleted: registration, amendment and release are events with the account.
CREATE TABLE personal.security_interests (
    -- TC-<province>-<year>-<6-digit sequence> (the decree names no layout: unconfirmed).
    registration_no text PRIMARY KEY CHECK (registration_no ~ '^TC-[0-9]{2}-[0-9]{4}-[0-9]{6}$'),
    -- Priority between registrations over the same parcel follows this moment.
    registered_at timestamptz NOT NULL,
    secured_party text NOT NULL CHECK (secured_party <> ''),
    secured_party_tax_code text CHECK (secured_party_tax_code ~ '^[0-9]{10}([0-9]{3})?$'),
    giver_name text NOT NULL CHECK (giver_name <> ''),
    giver_id text CHECK (giver_id ~ '^[0-9]{10}([0-9]{2,3})?$'),
    parcels text[] NOT NULL CHECK (cardinality(parcels) > 0),
    certificates text[] NOT NULL DEFAULT '{}',
    assets text,
    amount_vnd bigint CHECK (amount_vnd > 0),
    contract_ref text NOT NULL CHECK (contract_ref <> ''),
    released_at timestamptz,
    CHECK (released_at IS NULL OR released_at >= registered_at)
);
CREATE INDEX security_interests_parcels ON personal.security_interests USING gin (parcels);

CREATE TABLE personal.security_interest_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    registration_no text NOT NULL REFERENCES personal.security_interests,
    kind text NOT NULL CHECK (kind IN ('registration', 'amendment', 'release')),
    at timestamptz NOT NULL,
    actor text NOT NULL,
    change_id bigint NOT NULL REFERENCES changes (id),
    -- What an amendment changed, or a release's reason.
    details jsonb NOT NULL DEFAULT '{}'
);

-- A land procedure on an encumbered parcel records the secured party's consent it went ahead on.
ALTER TABLE parcel_events ADD COLUMN secured_party_consent text;

-- Registrations are the justice officers' and registrars' (and the admin's, who sees all).
ALTER TABLE roles ADD COLUMN security_interests boolean NOT NULL DEFAULT false;
UPDATE roles SET security_interests = true WHERE name IN ('admin', 'registrar', 'justice_officer');
