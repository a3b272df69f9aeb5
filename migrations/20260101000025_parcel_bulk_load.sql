-- What a bulk load of parcels pays for, measured on 100,000 city parcels (COPY in one
-- transaction, PostgreSQL 15, 2 cores): 7.5 s before this migration, 3.0 s after.

-- Versions of parcels by legacy key, current or not, for as-of lookups (`parcels_on.sql`), in
-- place of the GiST index on (validity, geometry): that index cost 2.4 s of the 7.5, while an
-- as-of query by place finds its few versions through the geometry index and filters them by
-- date just as well.
CREATE INDEX parcels_legacy_key ON parcels (commune_code_recorded, sheet, parcel_no);
DROP INDEX parcels_validity;

-- The current commune must be a listed commune. The foreign key checked it with a query and a
-- row lock per parcel (1.2 s of the 7.5); one anti-join per statement checks a whole load, and
-- locks each commune it names once, as the foreign key would, against a concurrent removal.
ALTER TABLE parcels DROP CONSTRAINT parcels_commune_code_fkey;

CREATE FUNCTION check_parcel_communes() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    PERFORM 1 FROM communes
    WHERE code IN (SELECT DISTINCT commune_code FROM changed WHERE commune_code IS NOT NULL)
    FOR KEY SHARE;
    SELECT string_agg(DISTINCT n.commune_code, ', ') INTO missing
    FROM changed n
    WHERE n.commune_code IS NOT NULL AND NOT EXISTS (SELECT FROM communes c WHERE c.code = n.commune_code);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'parcels name commune code(s) % that are not in the commune list', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER parcels_commune_insert AFTER INSERT ON parcels
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION check_parcel_communes();
CREATE TRIGGER parcels_commune_update AFTER UPDATE ON parcels
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION check_parcel_communes();

-- The other side of the reference: a commune parcels name is neither removed nor renumbered.
CREATE FUNCTION keep_named_communes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR NEW.code IS DISTINCT FROM OLD.code)
        AND EXISTS (SELECT FROM parcels WHERE commune_code = OLD.code) THEN
        RAISE EXCEPTION 'commune % is the current commune of parcels', OLD.code
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE TRIGGER communes_named_by_parcels BEFORE DELETE OR UPDATE OF code ON communes
    FOR EACH ROW EXECUTE FUNCTION keep_named_communes();
