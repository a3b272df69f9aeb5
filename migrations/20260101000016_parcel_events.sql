-- Land procedures as events (seed 002 Art. 4.6, 7, 11.1): every change an officer makes to the
-- cadastral map is one event naming the procedure, the legal basis and the parcel versions it
-- closed and opened; lineage links the parcels a split or merge ended to those it made.
CREATE TABLE parcel_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    change_id bigint NOT NULL REFERENCES changes (id),
    kind text NOT NULL CHECK (kind IN ('registration', 'attributes', 'resurvey', 'land_use', 'legal_area',
                                       'transfer', 'split', 'merge', 'retirement')),
    at timestamptz NOT NULL,
    actor text NOT NULL CHECK (actor <> ''),
    reason text,
    legal_basis text,
    -- Parcel versions (parcels.uid) the event closed and opened.
    closed bigint[] NOT NULL,
    opened bigint[] NOT NULL,
    CHECK (cardinality(closed) + cardinality(opened) > 0)
);
CREATE INDEX parcel_events_closed ON parcel_events USING gin (closed);
CREATE INDEX parcel_events_opened ON parcel_events USING gin (opened);

-- Parent and child parcel IDs: a split makes children of one parent, a merge one child of many.
-- A child ID is new when it is made (the event refuses an ID any parcel ever held), so lineage
-- cannot loop.
CREATE TABLE parcel_lineage (
    parent text NOT NULL,
    child text NOT NULL,
    event_id bigint NOT NULL REFERENCES parcel_events (id),
    PRIMARY KEY (parent, child),
    CHECK (parent <> child)
);
CREATE INDEX parcel_lineage_child ON parcel_lineage (child);

-- The scanned dossier of an event (PDF, images), stored as project documents are; the hash
-- recorded with the event makes a later change to a file detectable.
CREATE TABLE parcel_event_files (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id bigint NOT NULL REFERENCES parcel_events (id),
    file_name text NOT NULL CHECK (file_name <> ''),
    media_type text NOT NULL,
    size_bytes bigint NOT NULL CHECK (size_bytes = octet_length(content)),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content bytea NOT NULL,
    UNIQUE (event_id, file_name)
);

-- Past states are read by validity interval.
CREATE INDEX parcels_validity ON parcels USING gist (tstzrange(valid_from, valid_to), geom);
CREATE INDEX parcels_parcel_id ON parcels (parcel_id);

-- Commune officers keep their communes' cadastral map current through the GIS clients they use
-- (issue 13): they edit, not only add.
UPDATE roles SET cadastre = 'edit' WHERE name = 'commune_officer';
UPDATE roles SET description = 'Reads personal data and edits cadastral data in its communes'
WHERE name = 'commune_officer';
