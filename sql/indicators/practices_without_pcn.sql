-- Practices with values but in no PCN today (not in the newest map, or 'U' there), by month:
-- counted, not hidden.
SELECT month, count(DISTINCT org_code) FROM read_parquet($p)
WHERE org_type = 'practice' AND geography = 'current' AND pcn_code IS NULL
GROUP BY month ORDER BY month
