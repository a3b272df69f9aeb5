-- A parcel whose 2025 commune is unknown is outlined (and counted in the market statistics)
-- under the pre-reform code it was recorded with; a change of that code moves it between
-- outlines just as a change of its commune does, so it marks both as stale.
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
            WHERE o.valid_to IS NULL
              AND (n.valid_to IS NOT NULL OR n.geom IS DISTINCT FROM o.geom
                   OR coalesce(n.commune_code, n.commune_code_recorded) IS DISTINCT FROM coalesce(o.commune_code, o.commune_code_recorded))
            UNION ALL
            SELECT coalesce(n.commune_code, n.commune_code_recorded), outline_geom_hash(n.geom), 1
            FROM old_rows o JOIN new_rows n USING (uid)
            WHERE n.valid_to IS NULL
              AND (o.valid_to IS NOT NULL OR n.geom IS DISTINCT FROM o.geom
                   OR coalesce(n.commune_code, n.commune_code_recorded) IS DISTINCT FROM coalesce(o.commune_code, o.commune_code_recorded))
        ) AS m (code, h, n) GROUP BY code;
    END IF;
    RETURN NULL;
END
$$;
