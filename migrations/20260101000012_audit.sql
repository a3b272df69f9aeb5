-- The audit trail (seed 002 Art. 11.2): every change and every access by a signed-in caller is
-- one entry. Entries are append-only and hash-chained: each entry's hash covers its content and
-- the previous entry's hash (RFC 6962 style: a 0x00 byte before leaf content), so an entry
-- altered, removed or reordered, even with the triggers disabled, breaks the chain that
-- `diachinh audit verify` recomputes.
CREATE SCHEMA audit;

CREATE TABLE audit.entries (
    seq bigint PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor text NOT NULL CHECK (actor <> ''),
    roles text[] NOT NULL DEFAULT '{}',
    action text NOT NULL CHECK (action <> ''),
    object text NOT NULL DEFAULT '',
    outcome integer NOT NULL,
    request_id text,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL
);
CREATE INDEX entries_actor_at ON audit.entries (actor, at);

-- An entry's content as hashed: a JSON array, the time in UTC to the microsecond.
CREATE FUNCTION audit.content(e audit.entries) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT convert_to(jsonb_build_array(e.seq, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                        e.actor, e.roles, e.action, e.object, e.outcome, e.request_id)::text, 'UTF8')
$$;

CREATE FUNCTION audit.chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last audit.entries;
BEGIN
    -- One writer at a time extends the chain.
    PERFORM pg_advisory_xact_lock(7450012);
    SELECT * INTO last FROM audit.entries ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(last.seq, 0) + 1;
    NEW.prev_hash := coalesce(last.hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    NEW.hash := sha256('\x00'::bytea || audit.content(NEW) || NEW.prev_hash);
    RETURN NEW;
END
$$;
CREATE TRIGGER chain BEFORE INSERT ON audit.entries FOR EACH ROW EXECUTE FUNCTION audit.chain();

CREATE FUNCTION audit.refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON audit.entries FOR EACH ROW EXECUTE FUNCTION audit.refuse();
CREATE TRIGGER no_truncate BEFORE TRUNCATE ON audit.entries FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse();
