-- The month's one scan of the prescribing rows: what each practice had of every presentation some indicator
-- role selects (month_codes.sql), summed under its current code. The practice values (practice_values.sql)
-- and the breakdown by presentation (practice_breakdown.sql) both join these rows to the roles, so the
-- month's ~18 M rows are read once, and summed once by practice and code rather than once per role.
-- Unidentified ('-') and '%998' cost centres are not practices and are left out here.
SELECT r.practice_code, c.bnf_code,
       CAST(sum(r.items) AS BIGINT) AS items, sum(r.total_quantity) AS quantity, sum(r.adq_usage) AS adq,
       -- NULL where no presentation under this code has an OME (read from its own published name)
       sum(r.total_quantity * c.ome_mg_per_unit) AS ome_mg
FROM read_parquet($prescribing_path) r
JOIN (SELECT DISTINCT published_code, bnf_code, ome_mg_per_unit FROM month_codes) c ON c.published_code = r.bnf_code
WHERE r.practice_code <> '-' AND r.practice_code NOT LIKE '%998'
GROUP BY r.practice_code, c.bnf_code
