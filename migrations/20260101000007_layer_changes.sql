-- Change feed for the in-memory overlay layers: after each statement on a table a layer is built
-- from, its name is sent on channel `layer_changes` (parcels keep their own per-uid feed).
CREATE FUNCTION notify_layer_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('layer_changes', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['provinces', 'communes', 'planning_zones', 'price_segments', 'land_prices',
                             'personal.holders', 'personal.rights', 'projects', 'units']
    LOOP
        EXECUTE format('CREATE TRIGGER layer_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION notify_layer_changes()', t);
    END LOOP;
END
$$;
