-- Reserves $1 parcel uids, so that a bulk load can COPY parcels and their holders in one pass.
SELECT nextval(pg_get_serial_sequence('parcels', 'uid')) FROM generate_series(1, $1)
