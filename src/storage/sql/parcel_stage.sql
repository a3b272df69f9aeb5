CREATE TEMP TABLE parcel_stage (
    ord integer NOT NULL,
    parcel_id text NOT NULL,
    commune_code_recorded text NOT NULL,
    sheet text NOT NULL,
    parcel_no integer NOT NULL,
    land_use text[] NOT NULL,
    legal_area_m2 double precision,
    address text,
    digital_address text,
    source_crs text NOT NULL,
    geom geometry(MultiPolygon, 4326) NOT NULL,
    holders text[] NOT NULL
) ON COMMIT DROP
