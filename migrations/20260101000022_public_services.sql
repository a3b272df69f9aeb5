-- Public-service workflows (seeds 000, 002, 004): the working-day calendar deadlines are counted
-- on, data-provision requests (Decree 101/2024, form 13/ĐK), data-quality findings and
-- correction tickets, and notices of planned interruptions.

-- The registration office's accounts work requests and correction tickets in their scope.
ALTER TABLE roles ADD COLUMN services boolean NOT NULL DEFAULT false;
UPDATE roles SET services = true WHERE name IN ('admin', 'registrar');

-- Days that are not what their weekday says: public holidays and bridge days off (on a weekday),
-- and Saturdays worked in exchange for a bridge day. Announced each year by the government, so
-- kept as data (data-samples/calendar.csv, then the admin's edits). A year counts as known when
-- it has at least one holiday; deadlines are never counted through an unknown year.
CREATE TABLE calendar_days (
    day date PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('holiday', 'off', 'worked')),
    name text NOT NULL CHECK (name <> ''),
    import_id bigint,
    change_id bigint REFERENCES changes (id),
    -- Only a weekend day can be worked in exchange; a holiday may fall on a weekend (its
    -- compensatory day is then an `off` day).
    CHECK (kind <> 'worked' OR extract(isodow FROM day) IN (6, 7)),
    CHECK (kind <> 'off' OR extract(isodow FROM day) NOT IN (6, 7))
);

-- Requests for data beyond the open data (Decree 101/2024 Art. 60-62, form 13/ĐK). The requester
-- is personal data; the public sees a request's state and deadline by its number only.
CREATE SEQUENCE data_request_no;
CREATE TABLE personal.data_requests (
    no text PRIMARY KEY,
    requester_kind text NOT NULL CHECK (requester_kind IN ('person', 'organisation')),
    requester_name text NOT NULL CHECK (requester_name <> ''),
    -- A personal ID or a tax code, when given.
    requester_id text,
    contact text NOT NULL CHECK (contact <> ''),
    account text REFERENCES personal.accounts (username),
    purpose text NOT NULL CHECK (purpose <> ''),
    -- What is asked for: parcels by ID, or a commune, or an area drawn on the map; always kept
    -- as the area the provision is cut to.
    parcels text[] NOT NULL DEFAULT '{}',
    commune_code text REFERENCES communes,
    area geometry(MultiPolygon, 4326) NOT NULL,
    -- The communes the area touches: which offices' accounts may work it.
    communes text[] NOT NULL,
    layers text[] NOT NULL CHECK (cardinality(layers) > 0),
    as_of timestamptz,
    format text NOT NULL CHECK (format IN ('gpkg', 'shp', 'csv', 'pdf')),
    delivery text NOT NULL CHECK (delivery IN ('download', 'email', 'post', 'office')),
    -- Data not in the database (described in words) is provided within 3 working days.
    other_data text,
    owner_info boolean NOT NULL,
    owner_basis text CHECK (owner_basis IN ('consent', 'state_management', 'investigation', 'enforcement')),
    owner_basis_document text,
    CHECK (NOT owner_info OR (owner_basis IS NOT NULL AND owner_basis_document <> '')),
    received_at timestamptz NOT NULL,
    state text NOT NULL DEFAULT 'received'
        CHECK (state IN ('received', 'fee_notified', 'paid', 'provided', 'refused')),
    refuse_by date NOT NULL,
    due date NOT NULL,
    extended_days integer NOT NULL DEFAULT 0 CHECK (extended_days BETWEEN 0 AND 15),
    extension_reason text,
    fee_vnd bigint CHECK (fee_vnd >= 0),
    fee_notified_at timestamptz,
    paid_at timestamptz,
    payment_reference text,
    refusal_reason text
        CHECK (refusal_reason IN ('state_secret', 'owner_without_consent', 'invalid_request', 'unpaid_fee')),
    refusal_note text,
    decided_at timestamptz,
    provided_at timestamptz,
    -- The provision's download link: its secret's SHA-256, and when it expires.
    download_digest bytea,
    download_expires timestamptz,
    change_id bigint NOT NULL REFERENCES changes (id)
);
CREATE INDEX data_requests_state ON personal.data_requests (state, due);

-- Findings of the data-quality checks (seed 000 Art. 5; seed 002 Art. 4.3, 8): one row per
-- problem, with its measure and a map location, kept until a later run of the same checks over
-- the same communes no longer finds it.
CREATE TABLE quality_findings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('overlap', 'gap', 'sliver', 'area_mismatch', 'outside_commune',
                                        'legacy_land_use', 'planning_conflict', 'duplicate_key', 'repaired',
                                        'dangling_reference')),
    commune_code text NOT NULL,
    parcels text[] NOT NULL,
    measure double precision,
    unit text,
    detail text NOT NULL,
    geom geometry(Geometry, 4326) NOT NULL,
    found_at timestamptz NOT NULL DEFAULT now(),
    change_id bigint NOT NULL REFERENCES changes (id),
    UNIQUE (kind, commune_code, parcels)
);
CREATE INDEX quality_findings_geom ON quality_findings USING gist (geom);
CREATE TRIGGER layer_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON quality_findings
    FOR EACH STATEMENT EXECUTE FUNCTION notify_layer_changes();

-- Correction tickets: a report by anyone, or a finding, assigned to the office of the parcel's
-- commune and due 5 working days after notification (seed 002 Art. 16.3, 18.8).
CREATE SEQUENCE correction_ticket_no;
CREATE TABLE personal.correction_tickets (
    no text PRIMARY KEY,
    source text NOT NULL CHECK (source IN ('report', 'finding')),
    parcel_id text,
    finding_id bigint REFERENCES quality_findings (id) ON DELETE SET NULL,
    commune_code text NOT NULL,
    message text NOT NULL CHECK (message <> ''),
    -- The reporter's contact (personal data) and account, when given.
    contact text,
    reporter text,
    notified_at timestamptz NOT NULL,
    due date NOT NULL,
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'explained', 'corrected', 'closed', 'rejected')),
    answer text,
    -- The parcel event of the correcting edit.
    correcting_event bigint REFERENCES parcel_events (id),
    answered_at timestamptz,
    answered_by text,
    change_id bigint NOT NULL REFERENCES changes (id),
    CHECK (state <> 'corrected' OR correcting_event IS NOT NULL),
    CHECK (state NOT IN ('explained', 'rejected') OR answer <> '')
);
CREATE INDEX correction_tickets_state ON personal.correction_tickets (state, due);
CREATE UNIQUE INDEX correction_tickets_finding ON personal.correction_tickets (finding_id)
    WHERE finding_id IS NOT NULL;

-- Planned interruptions of the service or of data provision, announced at least 7 working days
-- ahead (seed 004; seed 002 Art. 4.5).
CREATE TABLE notices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('service', 'provision')),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
    message text NOT NULL CHECK (message <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    withdrawn_at timestamptz,
    change_id bigint NOT NULL REFERENCES changes (id)
);

-- The findings layer shows each finding's ticket and its state.
CREATE TRIGGER layer_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON personal.correction_tickets
    FOR EACH STATEMENT EXECUTE FUNCTION notify_layer_changes();
