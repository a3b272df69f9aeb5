-- The `admin` layer's outlines of communes and provinces drawn from their current parcels, kept
-- here instead of a union of every parcel at each start and each change. The write gateway
-- refreshes the outlines of the communes a change touched before it commits
-- (src/storage/outlines.rs); start-up reads them.
CREATE TABLE admin_outlines (
    -- The admin layer's feature id: the commune code, or 1000000 + the province code.
    id bigint PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('commune', 'province')),
    -- A 2025 code, or the pre-reform code parcels were recorded under where their commune is unknown.
    code text NOT NULL CHECK (code ~ '^[0-9]{2}$|^[0-9]{5}$'),
    -- A commune's 2025 province (NULL where unknown), whose outline is made of its communes'.
    province_code text,
    geom geometry(MultiPolygon, 4326),
    parcels bigint NOT NULL DEFAULT 0,
    land_use_main text,
    UNIQUE (kind, code)
);

-- What parcel statements did to each commune's outline since the last refresh: +1 for a current
-- geometry that appeared, -1 for one that went. A commune whose entries cancel out (an attribute
-- edit closes a version and opens one with the same geometry) keeps its outline and has only
-- its counts refreshed; any other has its outline recomputed.
CREATE TABLE admin_outlines_stale (
    code text NOT NULL,
    geom_md5 text NOT NULL,
    sign smallint NOT NULL CHECK (sign IN (-1, 1))
);

CREATE FUNCTION mark_outlines_stale() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO admin_outlines_stale
        SELECT coalesce(commune_code, commune_code_recorded), md5(ST_AsBinary(geom)), 1
        FROM new_rows WHERE valid_to IS NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO admin_outlines_stale
        SELECT coalesce(commune_code, commune_code_recorded), md5(ST_AsBinary(geom)), -1
        FROM old_rows WHERE valid_to IS NULL;
    ELSE
        INSERT INTO admin_outlines_stale
        SELECT coalesce(o.commune_code, o.commune_code_recorded), md5(ST_AsBinary(o.geom)), -1
        FROM old_rows o JOIN new_rows n USING (uid)
        WHERE o.valid_to IS NULL AND (n.valid_to IS NOT NULL OR n.geom IS DISTINCT FROM o.geom
                                       OR n.commune_code IS DISTINCT FROM o.commune_code)
        UNION ALL
        SELECT coalesce(n.commune_code, n.commune_code_recorded), md5(ST_AsBinary(n.geom)), 1
        FROM old_rows o JOIN new_rows n USING (uid)
        WHERE n.valid_to IS NULL AND (o.valid_to IS NOT NULL OR n.geom IS DISTINCT FROM o.geom
                                       OR n.commune_code IS DISTINCT FROM o.commune_code);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER outlines_stale_insert AFTER INSERT ON parcels
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_outlines_stale();
CREATE TRIGGER outlines_stale_update AFTER UPDATE ON parcels
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_outlines_stale();
CREATE TRIGGER outlines_stale_delete AFTER DELETE ON parcels
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_outlines_stale();

-- Change feed of the outlines: the ids of the features that changed, so that the service reloads
-- those and no others (the whole layer at 1,000,000 parcels is tens of megabytes).
CREATE FUNCTION notify_outline_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids text;
BEGIN
    FOR ids IN
        SELECT string_agg(id::text, ',')
        FROM (SELECT id, (row_number() OVER () - 1) / 350 AS chunk FROM changed) AS c
        GROUP BY chunk
    LOOP
        PERFORM pg_notify('layer_changes', 'admin_outlines:' || ids);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER outlines_notify_insert AFTER INSERT ON admin_outlines
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_outline_changes();
CREATE TRIGGER outlines_notify_update AFTER UPDATE ON admin_outlines
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_outline_changes();

-- The outlines of what is loaded now, once (later changes are kept current by the gateway).
INSERT INTO admin_outlines_stale
SELECT coalesce(commune_code, commune_code_recorded), md5(ST_AsBinary(geom)), 1 FROM parcels WHERE valid_to IS NULL;
