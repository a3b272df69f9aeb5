-- Stale-outline marks, one row per commune and statement instead of one per parcel: a
-- 100,000-parcel import wrote 100,000 marks at the end of its COPY (0.34 s, alone on one core)
-- and the refresh deleted them again. A commune's marks now carry the signed sum of a 64-bit
-- hash of each current geometry that appeared (+) or went (-), and the signed count: both net
-- to zero exactly when the geometries cancel out (an attribute edit closes a version and opens
-- one with the same geometry), up to a 2^-64 chance of a hash sum cancelling by accident.

CREATE FUNCTION outline_geom_hash(g geometry) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN ('x' || left(md5(ST_AsBinary(g)), 16))::bit(64)::bigint::numeric;

CREATE TABLE admin_outlines_marks (
    code text NOT NULL,
    geoms_hash numeric NOT NULL,
    geoms bigint NOT NULL
);

-- Marks a writer outside the gateway left behind are kept.
INSERT INTO admin_outlines_marks
SELECT code, sum(sign * ('x' || left(geom_md5, 16))::bit(64)::bigint::numeric), sum(sign)
FROM admin_outlines_stale GROUP BY code;

CREATE OR REPLACE FUNCTION mark_outlines_stale() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO admin_outlines_marks
        SELECT coalesce(commune_code, commune_code_recorded), sum(outline_geom_hash(geom)), count(*)
        FROM new_rows WHERE valid_to IS NULL GROUP BY 1;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO admin_outlines_marks
        SELECT coalesce(commune_code, commune_code_recorded), -sum(outline_geom_hash(geom)), -count(*)
        FROM old_rows WHERE valid_to IS NULL GROUP BY 1;
    ELSE
        INSERT INTO admin_outlines_marks
        SELECT code, sum(h), sum(n) FROM (
            SELECT coalesce(o.commune_code, o.commune_code_recorded), -outline_geom_hash(o.geom), -1
            FROM old_rows o JOIN new_rows n USING (uid)
            WHERE o.valid_to IS NULL AND (n.valid_to IS NOT NULL OR n.geom IS DISTINCT FROM o.geom
                                           OR n.commune_code IS DISTINCT FROM o.commune_code)
            UNION ALL
            SELECT coalesce(n.commune_code, n.commune_code_recorded), outline_geom_hash(n.geom), 1
            FROM old_rows o JOIN new_rows n USING (uid)
            WHERE n.valid_to IS NULL AND (o.valid_to IS NOT NULL OR n.geom IS DISTINCT FROM o.geom
                                           OR n.commune_code IS DISTINCT FROM o.commune_code)
        ) AS m (code, h, n) GROUP BY code;
    END IF;
    RETURN NULL;
END
$$;

DROP TABLE admin_outlines_stale;
