-- indicator_values: practice, PCN, sub-ICB, ICB, region and England rows for every indicator, month and
-- geography ('as_published' = the ICB on the EPD rows; 'current' = each practice's latest ICB).
-- Aggregates are pooled sums (sum of numerators / sum of denominators) over practice rows that have a
-- denominator (every row, for counts); unidentified and %998 prescribing is never included.
WITH pv AS (
    SELECT * FROM read_parquet($practice_files) WHERE list_contains($months, month)  -- one batch of months
),
located AS (
    SELECT pv.*, 'as_published' AS geography, pp.pcn_code AS geo_pcn,
           pv.sub_icb_code AS geo_sub_icb, pv.icb_code AS geo_icb, pv.region_code AS geo_region
    FROM pv LEFT JOIN practice_pcns pp USING (month, practice_code)
    UNION ALL
    -- Today's organisations; a cost centre they cannot place keeps NULL parents (England only). One that
    -- EPD never listed (a patient-level practice outside the lake) keeps its own.
    SELECT pv.*, 'current' AS geography, c.pcn_code,
           CASE WHEN c.practice_code IS NULL THEN pv.sub_icb_code ELSE c.sub_icb_code END,
           CASE WHEN c.practice_code IS NULL THEN pv.icb_code ELSE c.icb_code END,
           CASE WHEN c.practice_code IS NULL THEN pv.region_code ELSE c.region_code END
    FROM pv LEFT JOIN current_geography c USING (practice_code)
),
pooled AS (
    SELECT l.* FROM located l JOIN indicator_specs s USING (indicator_id)
    WHERE s.unit = 'count' OR l.denominator > 0
),
-- A PCN's parents: those of most of its practices (a few real PCNs span two sub-ICBs or ICBs); a tie goes to
-- the sub-ICB code that sorts first. (A window, not an ordered list aggregate: that took 1.9 s of the 8.6 s a
-- year of national months took, profiled.)
pcn_parents AS (
    SELECT indicator_id, month, geography, geo_pcn,
           struct_pack(s := geo_sub_icb, i := geo_icb, r := geo_region) AS parent
    FROM (SELECT indicator_id, month, geography, geo_pcn, geo_sub_icb, geo_icb, geo_region, count(*) AS n
          FROM located WHERE geo_pcn IS NOT NULL
          GROUP BY ALL)
    QUALIFY row_number() OVER (PARTITION BY indicator_id, month, geography, geo_pcn ORDER BY n DESC, geo_sub_icb) = 1
),
org_rows AS (
    SELECT indicator_id, month, geography, 'practice' AS org_type, practice_code AS org_code,
           practice_name AS given_name, geo_pcn AS pcn_code, geo_sub_icb AS sub_icb_code, geo_icb AS icb_code,
           geo_region AS region_code, numerator, denominator, list_size_month, 1 AS practices
    FROM located
    UNION ALL
    SELECT p.indicator_id, p.month, p.geography, 'pcn', p.geo_pcn, NULL, p.geo_pcn, any_value(a.parent.s),
           any_value(a.parent.i), any_value(a.parent.r), sum(p.numerator), sum(p.denominator),
           any_value(p.list_size_month), count(*)
    FROM pooled p JOIN pcn_parents a USING (indicator_id, month, geography, geo_pcn)
    GROUP BY p.indicator_id, p.month, p.geography, p.geo_pcn
    UNION ALL
    SELECT indicator_id, month, geography, 'sub_icb', geo_sub_icb, NULL, NULL, geo_sub_icb, any_value(geo_icb),
           any_value(geo_region), sum(numerator), sum(denominator), any_value(list_size_month), count(*)
    FROM pooled WHERE geo_sub_icb IS NOT NULL GROUP BY indicator_id, month, geography, geo_sub_icb
    UNION ALL
    SELECT indicator_id, month, geography, 'icb', geo_icb, NULL, NULL, NULL, geo_icb, any_value(geo_region),
           sum(numerator), sum(denominator), any_value(list_size_month), count(*)
    FROM pooled WHERE geo_icb IS NOT NULL GROUP BY indicator_id, month, geography, geo_icb
    UNION ALL
    SELECT indicator_id, month, geography, 'region', geo_region, NULL, NULL, NULL, NULL, geo_region,
           sum(numerator), sum(denominator), any_value(list_size_month), count(*)
    FROM pooled WHERE geo_region IS NOT NULL GROUP BY indicator_id, month, geography, geo_region
    UNION ALL
    SELECT indicator_id, month, geography, 'england', 'ENG', NULL, NULL, NULL, NULL, NULL,
           sum(numerator), sum(denominator), any_value(list_size_month), count(*)
    FROM pooled GROUP BY indicator_id, month, geography
),
valued AS (
    SELECT r.*, s.unit, s.definition_version, s.grain, s.low_numbers_below,
           CASE
               WHEN s.unit = 'count' THEN r.numerator
               WHEN r.denominator > 0 THEN r.numerator / r.denominator * s.multiplier
                    / (CASE WHEN s.per_day THEN day(last_day(strptime(r.month || '-01', '%Y-%m-%d'))) ELSE 1 END)
           END AS value
    FROM org_rows r JOIN indicator_specs s USING (indicator_id)
),
-- Each org's percentile among its kind, from the few columns the ranking needs rather than every column of
-- the row (the window holds what it is given).
ranked AS (
    SELECT indicator_id, month, geography, org_type, org_code,
           100.0 * percent_rank() OVER (PARTITION BY indicator_id, month, geography, org_type ORDER BY value) AS percentile
    FROM valued WHERE value IS NOT NULL
)
SELECT v.indicator_id, v.month, v.org_type, v.geography, v.org_code,
       coalesce(v.given_name, n.org_name) AS org_name,
       v.pcn_code, v.sub_icb_code, v.icb_code, v.region_code,
       v.numerator, v.denominator, v.value,
       r.percentile,
       CASE WHEN v.unit = 'count' THEN false ELSE coalesce(v.denominator, 0) < v.low_numbers_below END AS low_numbers,
       v.definition_version, v.grain, v.unit, v.list_size_month,
       false AS includes_unidentified,
       CAST(v.practices AS INTEGER) AS practices
FROM valued v
LEFT JOIN ranked r USING (indicator_id, month, geography, org_type, org_code)
LEFT JOIN org_names n ON n.org_type = v.org_type AND n.org_code = v.org_code
