-- Core schema: administrative units, import runs, cadastral parcels, personal data apart.
CREATE EXTENSION IF NOT EXISTS postgis;

-- 2025 administrative units (two levels). Boundaries are optional and loaded separately.
CREATE TABLE provinces (
    code text PRIMARY KEY CHECK (code ~ '^[0-9]{2}$'),
    name text NOT NULL,
    kind text NOT NULL,
    geom geometry(MultiPolygon, 4326)
);

CREATE TABLE communes (
    code text PRIMARY KEY CHECK (code ~ '^[0-9]{5}$'),
    province_code text NOT NULL REFERENCES provinces,
    name text NOT NULL,
    kind text NOT NULL,
    geom geometry(MultiPolygon, 4326)
);
CREATE INDEX communes_province ON communes (province_code);
CREATE INDEX communes_geom ON communes USING gist (geom);

-- One row per import run, so every parcel version can say where it came from.
CREATE TABLE imports (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL,
    sources text[] NOT NULL,
    source_crs text NOT NULL,
    feature_count integer NOT NULL,
    report jsonb NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
);

-- Each row is one version of a parcel: the current version has valid_to IS NULL, so history
-- (splits, merges, re-surveys) adds rows instead of redesigning the table.
CREATE TABLE parcels (
    uid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Circular 19/2026: GeoHash-12 of the pole of inaccessibility.
    parcel_id text NOT NULL CHECK (parcel_id ~ '^[0-9b-hjkmnp-z]{12}$'),
    -- The legacy key as recorded; pre-2025 commune codes are kept as they were surveyed.
    commune_code_recorded text NOT NULL CHECK (commune_code_recorded ~ '^[0-9]{5}$'),
    sheet text NOT NULL CHECK (sheet ~ '^[^/\s]+$'),
    parcel_no integer NOT NULL CHECK (parcel_no > 0),
    -- The current (2025) commune, when it can be determined.
    commune_code text REFERENCES communes,
    land_use text[] NOT NULL CHECK (cardinality(land_use) > 0),
    legal_area_m2 double precision CHECK (legal_area_m2 > 0),
    address text,
    digital_address text CHECK (digital_address ~ '^[0-9A-Za-z]{6,32}$'),
    source_crs text NOT NULL,
    geom geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    import_id bigint REFERENCES imports,
    valid_from timestamptz NOT NULL DEFAULT now(),
    valid_to timestamptz,
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE UNIQUE INDEX parcels_current_parcel_id ON parcels (parcel_id) WHERE valid_to IS NULL;
CREATE UNIQUE INDEX parcels_current_legacy_key
    ON parcels (commune_code_recorded, sheet, parcel_no) WHERE valid_to IS NULL;
CREATE INDEX parcels_geom ON parcels USING gist (geom);
CREATE INDEX parcels_commune ON parcels (commune_code);

-- Personal data lives in its own schema so that grants, exports and audits can treat it apart.
CREATE SCHEMA personal;

-- Holder names as recorded in cadastral exports (TenChu).
CREATE TABLE personal.recorded_holders (
    parcel_uid bigint NOT NULL REFERENCES parcels (uid) ON DELETE CASCADE,
    name text NOT NULL CHECK (name <> ''),
    import_id bigint REFERENCES imports
);
CREATE INDEX recorded_holders_parcel ON personal.recorded_holders (parcel_uid);

-- Change feed for the in-memory index: after each statement, the uids it touched are sent in
-- chunks on channel `parcel_changes`. Notifications arrive in commit order and only after commit.
CREATE FUNCTION notify_parcel_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids text;
BEGIN
    -- 350 uids of at most 19 digits plus commas stay under NOTIFY's 8000-byte payload limit.
    FOR ids IN
        SELECT string_agg(uid::text, ',')
        FROM (SELECT uid, (row_number() OVER () - 1) / 350 AS chunk FROM changed) AS c
        GROUP BY chunk
    LOOP
        PERFORM pg_notify('parcel_changes', ids);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER parcels_notify_insert AFTER INSERT ON parcels
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_parcel_changes();
CREATE TRIGGER parcels_notify_update AFTER UPDATE ON parcels
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_parcel_changes();
CREATE TRIGGER parcels_notify_delete AFTER DELETE ON parcels
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_parcel_changes();
