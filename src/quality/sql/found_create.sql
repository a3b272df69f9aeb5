-- What this run finds, before it replaces the findings of the communes checked.
CREATE TEMP TABLE found (
    kind text NOT NULL,
    commune_code text NOT NULL,
    parcels text[] NOT NULL,
    measure double precision,
    unit text,
    detail text NOT NULL,
    geom geometry NOT NULL
) ON COMMIT DROP
