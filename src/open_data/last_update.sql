-- When the data behind an open dataset last changed: its imports, and for parcels their events,
-- for market statistics the transactions recorded.
SELECT greatest(
    (SELECT max(i.imported_at) FROM imports i WHERE i.kind = ANY ($1)),
    CASE WHEN 'parcels' = ANY ($1) THEN (SELECT max(e.at) FROM parcel_events e) END,
    CASE WHEN 'transactions' = ANY ($1) THEN (SELECT max(c.made_at) FROM changes c WHERE c.action LIKE '%transaction%') END
)
