-- A parcel's geometry is checked once, by whoever checks it as it is stored.
--
-- The table's check ran GEOS's validity test (`ST_IsValid`) on every row an import COPYed, after
-- the import had run the same test (GEOS, or an exact shortcut for plain lots) itself: about
-- 3.5 µs a row, a third of PostgreSQL's per-row time in a bulk load and 0.15 s of a
-- 100,000-parcel import. An import now checks each geometry as it will be stored, in WGS 84
-- (`import::validity::valid`), and says so for its transaction with
-- `SET LOCAL diachinh.geometry_checked = 'on'`; the check then takes its word for the validity.
-- Every other writer (the service's edits, SQL written past the service) is checked here as
-- before. The setting is a declaration, not a permission: a writer that sets it without checking
-- is writing past the rules, as one that drops the constraint would be.
ALTER TABLE parcels DROP CONSTRAINT parcels_geom_check;
-- The rows already stored passed the same test under the constraint just dropped: the new one's
-- validation of them need not run it again. (An unset setting reads as NULL, which a check would
-- pass: hence the `coalesce`.)
SET LOCAL diachinh.geometry_checked = 'on';
ALTER TABLE parcels ADD CONSTRAINT parcels_geom_check
    CHECK (NOT ST_IsEmpty(geom)
           AND (coalesce(current_setting('diachinh.geometry_checked', true), 'off') = 'on' OR ST_IsValid(geom)));
RESET diachinh.geometry_checked;
