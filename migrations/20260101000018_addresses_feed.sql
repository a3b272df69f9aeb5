-- Digital addresses are a layer now (served and edited like the other overlays): their changes
-- reach the in-memory copy through the same feed.
CREATE TRIGGER layer_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON addresses
    FOR EACH STATEMENT EXECUTE FUNCTION notify_layer_changes();
