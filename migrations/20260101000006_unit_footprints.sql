-- Units may carry their footprint (optional).
ALTER TABLE units ADD COLUMN footprint geometry(MultiPolygon, 4326) CHECK (footprint IS NULL OR ST_IsValid(footprint));
