-- Rows and a checksum of table %I.%I independent of physical order: the MD5 of its rows' MD5s,
-- sorted. (The identifiers are the catalog's, quoted by format().)
SELECT format('SELECT count(*), md5(coalesce(string_agg(r, '''' ORDER BY r), '''')) FROM (SELECT md5(t::text) AS r FROM %I.%I t) x',
              $1::text, $2::text)
