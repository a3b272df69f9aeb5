-- Parents $1 (parcel IDs) to children $2, made by event $3: every pair.
INSERT INTO parcel_lineage (parent, child, event_id)
SELECT p, c, $3 FROM unnest($1::text[]) AS p, unnest($2::text[]) AS c
