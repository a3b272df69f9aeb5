-- Reserves $1 parcel uids, so that a bulk load can COPY parcels and their holders with them. A
-- streamed import reserves them a block at a time on a connection of its own while its COPY
-- runs (sequences are not transactional: an import rolled back leaves a gap). The identity's
-- sequence by name: `pg_get_serial_sequence` in the select list ran once a row, 3.4 s of a
-- million-parcel import against 0.3 s.
-- One array, not a row per uid: decoding 10,000 rows was 2% of an import's client time.
SELECT array_agg(nextval('parcels_uid_seq')) FROM generate_series(1, $1)
