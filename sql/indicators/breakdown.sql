-- Numerator breakdown by presentation for current ICBs and England: which products make a number.
-- Practice rows stay in indicator_practice_breakdown (written per month); the view indicator_breakdown
-- in msi.duckdb shows both.
WITH b AS (
    SELECT b.*, CASE WHEN c.practice_code IS NULL THEN p.icb_code ELSE c.icb_code END AS icb_code
    FROM (SELECT * FROM read_parquet($breakdown_files) WHERE list_contains($months, month)) b  -- one batch of months
    LEFT JOIN current_geography c USING (practice_code)
    LEFT JOIN (SELECT DISTINCT month, practice_code, icb_code FROM read_parquet($practice_files)) p
           USING (month, practice_code)
)
SELECT month, indicator_id, 'icb' AS org_type, icb_code AS org_code, icb_code, bnf_code, any_value(bnf_name) AS bnf_name,
       CAST(sum(items) AS BIGINT) AS items, sum(quantity) AS quantity, sum(adq) AS adq, sum(ome_mg) AS ome_mg
FROM b WHERE icb_code IS NOT NULL GROUP BY month, indicator_id, icb_code, bnf_code
UNION ALL
SELECT month, indicator_id, 'england', 'ENG', NULL, bnf_code, any_value(bnf_name),
       CAST(sum(items) AS BIGINT), sum(quantity), sum(adq), sum(ome_mg)
FROM b GROUP BY month, indicator_id, bnf_code
