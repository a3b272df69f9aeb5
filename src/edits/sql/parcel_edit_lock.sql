-- One edit of a parcel at a time: the next waits here, then reads the version this one leaves
-- (a row lock alone would leave it holding the closed version, invisible to its snapshot).
SELECT pg_advisory_xact_lock(7450013, hashtext($1))
