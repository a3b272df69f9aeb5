-- The market registries (seeds 000, 001: Decree 357/2025): real-estate transactions, the broker
-- registry and apartment-management units; and market statistics as open data.

-- The encumbered-parcels layer follows the security-interest registry.
CREATE TRIGGER layer_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON personal.security_interests
    FOR EACH STATEMENT EXECUTE FUNCTION notify_layer_changes();

-- What a product is, for the statistics (a unit's kind; a parcel is a land plot).
ALTER TABLE units ADD COLUMN product_kind text NOT NULL DEFAULT 'apartment'
    CHECK (product_kind IN ('apartment', 'house', 'floor_area'));

-- Who records transactions: market officers and the admin any in their scope, an investor its
-- own projects' units, a broker its deals (with a certificate in force), a notary office the
-- contracts it notarised.
INSERT INTO roles (name, description, personal_data, everywhere)
VALUES ('notary', 'A notary office: records the contracts it notarised', false, false);
ALTER TABLE roles ADD COLUMN market text CHECK (market IN ('any', 'investor', 'broker', 'notary'));
UPDATE roles SET market = 'any' WHERE name IN ('admin', 'market_officer');
UPDATE roles SET market = name WHERE name IN ('investor', 'broker', 'notary');

-- Brokers' practising certificates. The certificate's electronic ID (29 characters, see
-- src/domain/market_ids.rs) is made from these columns; its last character is the revoked flag.
CREATE TABLE personal.brokers (
    province_code text NOT NULL REFERENCES provinces,
    certificate_no integer NOT NULL CHECK (certificate_no BETWEEN 1 AND 999999),
    -- A citizen's 12-digit personal ID, or F + 11 digits for a foreigner.
    holder_id text NOT NULL CHECK (holder_id ~ '^([0-9]{12}|F[0-9]{11})$'),
    full_name text NOT NULL CHECK (full_name <> ''),
    issued_on date NOT NULL,
    revoked_on date CHECK (revoked_on >= issued_on),
    revocation_reason text,
    -- The account the broker signs in with, if any.
    account text UNIQUE REFERENCES personal.accounts (username),
    change_id bigint NOT NULL REFERENCES changes (id),
    PRIMARY KEY (province_code, certificate_no)
);

-- Management units of apartment buildings (Luật Nhà ở 2023): organisations, public.
CREATE TABLE management_units (
    tax_code text NOT NULL CHECK (tax_code ~ '^[0-9]{13}$'),
    notice_on date NOT NULL,
    name text NOT NULL CHECK (name <> ''),
    project_code text NOT NULL REFERENCES projects,
    building text NOT NULL CHECK (building <> ''),
    change_id bigint NOT NULL REFERENCES changes (id),
    PRIMARY KEY (tax_code, notice_on, project_code, building)
);

-- Transactions: personal data (the parties), so in the personal schema. Nothing is deleted: a
-- cancellation keeps the row with its time.
CREATE TABLE personal.transactions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contract_no text NOT NULL CHECK (contract_no <> ''),
    contract_date date NOT NULL,
    kind text NOT NULL CHECK (kind IN ('sale', 'lease', 'transfer')),
    -- A deposit reserves a unit; a signed contract sells or leases it.
    stage text NOT NULL CHECK (stage IN ('deposit', 'signed')),
    product_id text REFERENCES units,
    parcel_id text CHECK (parcel_id ~ '^[0-9b-hjkmnp-z]{12}$'),
    price_vnd bigint NOT NULL CHECK (price_vnd > 0),
    area_m2 double precision NOT NULL CHECK (area_m2 > 0),
    lease_end date,
    seller text NOT NULL CHECK (seller <> ''),
    buyer text NOT NULL CHECK (buyer <> ''),
    notarised boolean NOT NULL,
    notary_office text,
    source text NOT NULL CHECK (source IN ('investor', 'broker', 'notary', 'registration_office')),
    broker_certificate text,
    submitted_by text NOT NULL,
    change_id bigint NOT NULL REFERENCES changes (id),
    import_id bigint,
    cancelled_at timestamptz,
    cancel_reason text,
    CHECK ((product_id IS NULL) <> (parcel_id IS NULL)),
    CHECK ((kind = 'lease') = (lease_end IS NOT NULL) AND (lease_end IS NULL OR lease_end > contract_date)),
    CHECK (notarised = (notary_office IS NOT NULL)),
    UNIQUE (contract_no, contract_date, product_id, parcel_id)
);
CREATE INDEX transactions_product ON personal.transactions (product_id, contract_date) WHERE product_id IS NOT NULL;
CREATE INDEX transactions_parcel ON personal.transactions (parcel_id, contract_date) WHERE parcel_id IS NOT NULL;
CREATE INDEX transactions_date ON personal.transactions (contract_date);

CREATE TRIGGER layer_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON personal.transactions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_layer_changes();

-- Market statistics per commune and province, per month and quarter, per product kind (and
-- 'all'), over signed sales and transfers not cancelled, by contract date. Open data: a cell with
-- fewer than 3 transactions is suppressed, and so is the smallest other commune cell of the same
-- province, period and kind when only one is (else the province total would give it away).
CREATE VIEW market_stats AS
WITH deals AS (
    SELECT t.contract_date, t.price_vnd, t.area_m2, t.kind,
           coalesce(u.product_kind, 'land') AS product_kind,
           coalesce(p.commune_code, p.commune_code_recorded) AS commune_code
    FROM personal.transactions t
    LEFT JOIN units u ON u.product_id = t.product_id
    JOIN parcels p ON p.parcel_id = coalesce(t.parcel_id, u.parcel_id) AND p.valid_to IS NULL
    WHERE t.cancelled_at IS NULL AND t.stage = 'signed'
),
periods AS (
    SELECT d.*, g.granularity, g.period, g.period_end
    FROM deals d
    CROSS JOIN LATERAL (VALUES
        ('month', to_char(d.contract_date, 'YYYY-MM'), (date_trunc('month', d.contract_date) + interval '1 month')::date),
        ('quarter', to_char(d.contract_date, 'YYYY-"Q"Q'), (date_trunc('quarter', d.contract_date) + interval '3 months')::date)
    ) AS g (granularity, period, period_end)
),
communes_of AS (
    SELECT pr.commune_code, coalesce(c.province_code, fp.province_code) AS province_code
    FROM (SELECT DISTINCT commune_code FROM deals) pr
    LEFT JOIN communes c ON c.code = pr.commune_code
    LEFT JOIN former_communes f ON f.code = pr.commune_code
    LEFT JOIN former_provinces fp ON fp.code = f.former_province_code
),
cells AS (
    SELECT 'commune' AS level, x.commune_code AS code, c.province_code, x.granularity, x.period,
           coalesce(x.product_kind, 'all') AS product_kind, min(x.period_end) AS period_end,
           count(*) FILTER (WHERE x.kind <> 'lease') AS sales, count(*) FILTER (WHERE x.kind = 'lease') AS leases,
           sum(x.price_vnd) FILTER (WHERE x.kind <> 'lease')::bigint AS total_value_vnd,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY x.price_vnd / x.area_m2 / 1e6) FILTER (WHERE x.kind <> 'lease') AS median,
           avg(x.price_vnd / x.area_m2 / 1e6) FILTER (WHERE x.kind <> 'lease') AS mean
    FROM periods x JOIN communes_of c USING (commune_code)
    GROUP BY GROUPING SETS ((x.commune_code, c.province_code, x.granularity, x.period, x.product_kind),
                            (x.commune_code, c.province_code, x.granularity, x.period))
    UNION ALL
    SELECT 'province', c.province_code, c.province_code, x.granularity, x.period,
           coalesce(x.product_kind, 'all'), min(x.period_end),
           count(*) FILTER (WHERE x.kind <> 'lease'), count(*) FILTER (WHERE x.kind = 'lease'),
           sum(x.price_vnd) FILTER (WHERE x.kind <> 'lease')::bigint,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY x.price_vnd / x.area_m2 / 1e6) FILTER (WHERE x.kind <> 'lease'),
           avg(x.price_vnd / x.area_m2 / 1e6) FILTER (WHERE x.kind <> 'lease')
    FROM periods x JOIN communes_of c USING (commune_code)
    WHERE c.province_code IS NOT NULL
    GROUP BY GROUPING SETS ((c.province_code, x.granularity, x.period, x.product_kind),
                            (c.province_code, x.granularity, x.period))
),
ranked AS (
    SELECT c.*,
           count(*) FILTER (WHERE c.sales BETWEEN 1 AND 2) OVER by_province AS small_in_province,
           row_number() OVER (PARTITION BY c.level, c.province_code, c.granularity, c.period, c.product_kind,
                                           c.sales >= 3 ORDER BY c.sales, c.code) AS nth_in_province,
           count(*) FILTER (WHERE c.sales BETWEEN 1 AND 2 AND c.product_kind <> 'all') OVER by_area AS small_in_area,
           row_number() OVER (PARTITION BY c.level, c.code, c.granularity, c.period, c.product_kind = 'all',
                                           c.sales >= 3 ORDER BY c.sales, c.product_kind) AS nth_in_area
    FROM cells c
    WINDOW by_province AS (PARTITION BY c.level, c.province_code, c.granularity, c.period, c.product_kind),
           by_area AS (PARTITION BY c.level, c.code, c.granularity, c.period)
),
-- A small cell is suppressed; so is the smallest other one beside a lone small cell among a
-- province's communes, or among an area's product kinds (else a total would give it away).
flagged AS (
    SELECT r.*,
           r.sales < 3
           OR (r.level = 'commune' AND r.small_in_province = 1 AND r.nth_in_province = 1)
           OR (r.product_kind <> 'all' AND r.small_in_area = 1 AND r.nth_in_area = 1) AS suppressed
    FROM ranked r
),
-- Units of projects not taken (no deposit or signed sale not cancelled by then) at each period's
-- end, by the commune of their parcel: the unsold inventory.
inventory AS (
    SELECT r.level, r.code, r.granularity, r.period, r.product_kind, count(u.product_id) AS unsold
    FROM cells r
    JOIN units u ON r.product_kind IN ('all', u.product_kind)
    JOIN parcels p ON p.parcel_id = u.parcel_id AND p.valid_to IS NULL
    LEFT JOIN communes c ON c.code = coalesce(p.commune_code, p.commune_code_recorded)
    WHERE ((r.level = 'commune' AND r.code = coalesce(p.commune_code, p.commune_code_recorded))
           OR (r.level = 'province' AND r.code = c.province_code))
      AND NOT EXISTS (
          SELECT 1 FROM personal.transactions t
          WHERE t.product_id = u.product_id AND t.kind <> 'lease' AND t.contract_date < r.period_end
            AND (t.cancelled_at IS NULL OR t.cancelled_at >= r.period_end))
    GROUP BY 1, 2, 3, 4, 5
)
SELECT f.level, f.code, f.province_code, f.granularity, f.period, f.product_kind, f.period_end, f.suppressed,
       CASE WHEN NOT f.suppressed THEN f.sales END AS transactions,
       CASE WHEN f.leases >= 3 THEN f.leases END AS leases,
       CASE WHEN NOT f.suppressed THEN f.total_value_vnd END AS total_value_vnd,
       CASE WHEN NOT f.suppressed THEN round(f.median::numeric, 3)::float8 END AS median_price_mvnd_m2,
       CASE WHEN NOT f.suppressed THEN round(f.mean::numeric, 3)::float8 END AS mean_price_mvnd_m2,
       coalesce(i.unsold, 0) AS unsold_units
FROM flagged f
LEFT JOIN inventory i USING (level, code, granularity, period, product_kind);
