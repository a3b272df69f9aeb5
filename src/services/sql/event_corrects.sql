-- Whether parcel event $1 closed or opened a version of parcel $2, at or after $3.
SELECT EXISTS (SELECT 1 FROM parcel_events e JOIN parcels p ON p.uid = ANY (e.closed || e.opened)
               WHERE e.id = $1 AND p.parcel_id = $2 AND e.at >= $3)
