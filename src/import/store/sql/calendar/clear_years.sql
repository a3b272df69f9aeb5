-- The years a calendar file covers are replaced by it as a whole.
DELETE FROM calendar_days
WHERE extract(year FROM day) IN (SELECT DISTINCT extract(year FROM d) FROM unnest($1::date[]) AS d)
