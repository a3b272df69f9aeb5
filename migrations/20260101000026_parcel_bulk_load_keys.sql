-- One index per key instead of two. Each key had a unique index over current versions and a
-- plain one over every version (for as-of lookups); a unique index on (key, valid_to) with NULLs
-- not distinct does both: at most one current version per key, since two NULL ends are equal,
-- and every version found by its key. Closed versions of a key cannot share an end: a version
-- ends at its edit's clock (`edits/sql/moment.sql`) and only one is current at a time. A bulk
-- load of 100,000 parcels maintained four btrees for the two keys, about 0.85 s of its COPY;
-- two cost about 0.4 s.
CREATE UNIQUE INDEX parcels_parcel_id_versions ON parcels (parcel_id, valid_to) NULLS NOT DISTINCT;
CREATE UNIQUE INDEX parcels_legacy_key_versions
    ON parcels (commune_code_recorded, sheet, parcel_no, valid_to) NULLS NOT DISTINCT;
DROP INDEX parcels_current_parcel_id, parcels_parcel_id, parcels_current_legacy_key, parcels_legacy_key;

-- A recorded holder's parcel must exist. The foreign key ran a query and took a row lock per
-- holder (about 0.8 s of a 100,000-parcel import with 92,000 holders); one anti-join per
-- statement checks a whole load. Parcels are never deleted by the service (versions end), so
-- the cascade is for a DBA's delete: it takes a lock on the holders that waits for every
-- writer of holders, so none can add a holder to a parcel being deleted.
ALTER TABLE personal.recorded_holders DROP CONSTRAINT recorded_holders_parcel_uid_fkey;

CREATE FUNCTION personal.check_holder_parcels() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(DISTINCT h.parcel_uid::text, ', ') INTO missing
    FROM changed h
    WHERE NOT EXISTS (SELECT FROM parcels p WHERE p.uid = h.parcel_uid);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'recorded holders name parcel uid(s) % that are not in parcels', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER recorded_holders_parcel_insert AFTER INSERT ON personal.recorded_holders
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION personal.check_holder_parcels();
CREATE TRIGGER recorded_holders_parcel_update AFTER UPDATE ON personal.recorded_holders
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION personal.check_holder_parcels();

CREATE FUNCTION personal.cascade_parcel_holders() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE personal.recorded_holders IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM personal.recorded_holders WHERE parcel_uid IN (SELECT uid FROM old_rows);
    RETURN NULL;
END
$$;
CREATE TRIGGER parcels_holders_delete AFTER DELETE ON parcels
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION personal.cascade_parcel_holders();

-- What holders (and history) name a parcel by is its uid: it never changes.
CREATE FUNCTION refuse_parcel_uid_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a parcel''s uid cannot change (% to %)', OLD.uid, NEW.uid
        USING ERRCODE = 'foreign_key_violation';
END
$$;
CREATE TRIGGER parcels_uid_fixed BEFORE UPDATE OF uid ON parcels
    FOR EACH ROW WHEN (OLD.uid IS DISTINCT FROM NEW.uid) EXECUTE FUNCTION refuse_parcel_uid_change();

-- An import ends by placing its parcels recorded under pre-reform codes in the 2025 commune that
-- holds them, and by counting those left unplaced (`import/store/sql/parcel_communes_by_location.sql`,
-- `parcel_unlinked_communes.sql`): without this small index each scanned the whole table.
CREATE INDEX parcels_commune_unknown ON parcels (import_id) WHERE commune_code IS NULL;
