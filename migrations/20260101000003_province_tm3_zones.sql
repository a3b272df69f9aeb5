-- The VN-2000 TM-3 zone used for parcel IDs of data that arrives in WGS84, per 2025 province.
-- Merged provinces span former provinces with different meridians; the default is the zone of the
-- former province whose name the new one kept (Circular 973/2001 meridians). Unconfirmed: adjust
-- with UPDATE provinces SET tm3_epsg = ... or pass --zone to the import.
ALTER TABLE provinces ADD COLUMN tm3_epsg integer;

UPDATE provinces AS p SET tm3_epsg = z.epsg
FROM (VALUES
    ('01', 5897), ('04', 9210), ('08', 9211), ('11', 9205), ('12', 9205), ('14', 9206),
    ('15', 9208), ('19', 9213), ('20', 9215), ('22', 5899), ('24', 9209), ('25', 9208),
    ('31', 9210), ('33', 9209), ('37', 5897), ('38', 5897), ('40', 9208), ('42', 9209),
    ('44', 9212), ('46', 9214), ('48', 5899), ('51', 5898), ('52', 9218), ('56', 9217),
    ('66', 9218), ('68', 5899), ('75', 5899), ('79', 9210), ('80', 9209), ('82', 5897),
    ('86', 9209), ('91', 9208), ('92', 5897), ('96', 9207)
) AS z (code, epsg)
WHERE p.code = z.code;

ALTER TABLE provinces ALTER COLUMN tm3_epsg SET NOT NULL;
