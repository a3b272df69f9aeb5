-- Ends version $1 at moment $2: it stays, as history.
UPDATE parcels SET valid_to = $2 WHERE uid = $1 AND valid_to IS NULL
