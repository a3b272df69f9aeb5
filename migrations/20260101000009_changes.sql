-- Every change to the database, as the write gateway (src/storage/gateway.rs) records it: who
-- made it, what it was and why. Imports point at theirs; edits, account changes and requests
-- will too, and history events and the audit trail hang from these rows.
CREATE TABLE changes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    made_at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL CHECK (actor <> ''),
    action text NOT NULL CHECK (action <> ''),
    reason text
);

ALTER TABLE imports ADD COLUMN change_id bigint REFERENCES changes (id);
