-- Signed checkpoints of the audit chain: every few minutes the service signs (entry count, chain
-- head) with its Ed25519 key, which lives outside the database, and appends the checkpoint here
-- and to a file outside the database. A superuser who rewrites the chain and recomputes every
-- hash cannot re-sign it, so `diachinh audit verify` still finds the rewrite.
CREATE TABLE audit.checkpoints (
    at timestamptz NOT NULL,
    entries bigint NOT NULL CHECK (entries > 0),
    head bytea NOT NULL CHECK (length(head) = 32),
    public_key bytea NOT NULL CHECK (length(public_key) = 32),
    signature bytea NOT NULL CHECK (length(signature) = 64),
    PRIMARY KEY (entries, at)
);
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON audit.checkpoints FOR EACH ROW EXECUTE FUNCTION audit.refuse();
CREATE TRIGGER no_truncate BEFORE TRUNCATE ON audit.checkpoints FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse();

-- Anonymous reads of open data, counted per minute, route and client address (seed 002 Art.
-- 11.2 asks for every access; one chained entry per anonymous tile would cost more than the
-- tile). Rows are added as each minute ends, never changed.
CREATE TABLE audit.anonymous_reads (
    minute timestamptz NOT NULL,
    route text NOT NULL,
    address inet,
    requests bigint NOT NULL CHECK (requests > 0)
);
CREATE INDEX anonymous_reads_minute ON audit.anonymous_reads (minute);
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON audit.anonymous_reads FOR EACH ROW EXECUTE FUNCTION audit.refuse();
CREATE TRIGGER no_truncate BEFORE TRUNCATE ON audit.anonymous_reads FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse();

-- The client address of an entry made over HTTP (refused sign-ins are anonymous, and named by
-- it), and the accesses an entry records. Accesses come in batches: the service queues each
-- access and writes what has queued as one entry every few milliseconds, each access a record
-- of its own in `accesses`, a JSON array kept as the text the service wrote (when, actor, roles,
-- action, object, outcome, request id, address), which the entry's hash covers byte for byte.
-- One chained row per access would cost the database more than the cached tile it records.
-- Entries without these columns hash as before, so the chain already written still verifies.
ALTER TABLE audit.entries ADD COLUMN address inet, ADD COLUMN accesses text;
ALTER TABLE audit.entries ALTER COLUMN accesses SET COMPRESSION lz4;
CREATE OR REPLACE FUNCTION audit.content(e audit.entries) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT convert_to((jsonb_build_array(e.seq, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                         e.actor, e.roles, e.action, e.object, e.outcome, e.request_id)
                       || CASE WHEN e.address IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(host(e.address)) END)::text,
                      'UTF8')
           -- The array above ends with its own closing bracket, so what follows cannot be read
           -- as part of it.
           || coalesce(convert_to(e.accesses, 'UTF8'), ''::bytea)
$$;

-- The trail as people read it: one row per change, and one per access of a batch (with the
-- number and hash of the entry that holds it, and its place in the batch).
CREATE VIEW audit.log AS
SELECT e.seq, 0::bigint AS part, e.at, e.actor, e.roles, e.action, e.object, e.outcome, e.request_id, e.address, e.hash
FROM audit.entries e
WHERE e.accesses IS NULL
UNION ALL
SELECT e.seq, a.n, (a.v->>'at')::timestamptz, a.v->>'actor', array(SELECT jsonb_array_elements_text(a.v->'roles')),
       a.v->>'action', a.v->>'object', (a.v->>'outcome')::integer, a.v->>'request_id', (a.v->>'address')::inet, e.hash
FROM audit.entries e
CROSS JOIN LATERAL jsonb_array_elements(e.accesses::jsonb) WITH ORDINALITY AS a(v, n)
WHERE e.accesses IS NOT NULL;
