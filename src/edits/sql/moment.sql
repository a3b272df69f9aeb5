-- An edit's moment is the clock's, not the transaction's start: an edit that waited on a
-- parcel's lock begins after the one it waited for ended, so versions never overlap.
SELECT clock_timestamp()
