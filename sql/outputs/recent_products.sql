-- Each practice's top presentations ($top) of each indicator over the given months' breakdown files: most
-- OME first (opioid indicators), then most items. (Items as BIGINT: a sum of BIGINT is HUGEINT, which reaches
-- Python as a Decimal per row.)
SELECT practice_code, indicator_id, bnf_code, any_value(bnf_name) AS bnf_name, sum(items)::BIGINT AS items,
       sum(quantity) AS quantity, sum(ome_mg) AS ome_mg
FROM read_parquet($files)
GROUP BY practice_code, indicator_id, bnf_code
QUALIFY row_number() OVER (PARTITION BY practice_code, indicator_id
                           ORDER BY coalesce(sum(ome_mg), 0) DESC, sum(items) DESC, bnf_code) <= $top
ORDER BY practice_code, indicator_id, coalesce(sum(ome_mg), 0) DESC, sum(items) DESC, bnf_code
