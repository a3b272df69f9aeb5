-- Who may change cadastral data (seed 002 Art. 5, 11.1): `edit` changes parcels of the scope,
-- `create` only adds parcels in it, NULL neither.
ALTER TABLE roles ADD COLUMN cadastre text CHECK (cadastre IN ('edit', 'create'));
UPDATE roles SET cadastre = 'edit' WHERE name IN ('admin', 'registrar');
UPDATE roles SET cadastre = 'create' WHERE name = 'commune_officer';
