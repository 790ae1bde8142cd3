-- The month's one scan of the prescribing rows: for every role a presentation fills (month_codes.sql), the
-- amounts each practice had of it, under its current code. The practice values (practice_values.sql) and
-- the breakdown by presentation (practice_breakdown.sql) are both sums of these rows, so the month's
-- ~18 M rows are read once, not once for each (~1 s a national month).
-- Unidentified ('-') and '%998' cost centres are not practices and are left out here.
SELECT c.indicator_id, c.role, r.practice_code, c.bnf_code,
       CAST(sum(r.items) AS BIGINT) AS items, sum(r.total_quantity) AS quantity, sum(r.adq_usage) AS adq,
       -- NULL where no presentation under this code has an OME (read from its own published name)
       sum(r.total_quantity * c.ome_mg_per_unit) AS ome_mg
FROM read_parquet($prescribing_path) r
JOIN month_codes c ON c.published_code = r.bnf_code
WHERE r.practice_code <> '-' AND r.practice_code NOT LIKE '%998'
GROUP BY c.indicator_id, c.role, r.practice_code, c.bnf_code
