-- Cost centres with indicator values that today's organisations cannot place (current geography NULL):
-- counted in England's rows only. Per month: how many and their items, for the asset's metadata.
WITH unplaced AS (
    SELECT practice_code FROM current_geography WHERE icb_code IS NULL
),
valued AS (
    SELECT DISTINCT month, practice_code FROM read_parquet($practice_files)
    WHERE practice_code IN (SELECT practice_code FROM unplaced)
)
SELECT v.month, count(DISTINCT v.practice_code) AS practices, sum(p.items) AS items
FROM valued v LEFT JOIN read_parquet($practices_files) p USING (month, practice_code)
GROUP BY v.month ORDER BY v.month
