-- Each practice's Primary Care Network for every month with practice values, as published: from the
-- month's NHS Digital practice map, else the nearest earlier one in the lake (PCNs are only in the map).
-- Today's PCN ('current' geography) is in current_geography, from the newest map.
WITH maps AS (
    SELECT month AS map_month, practice_code, ods_pcn(pcn_code) AS pcn_code FROM read_parquet($maps_files)
),
value_months AS (
    SELECT DISTINCT month FROM read_parquet($practice_files)
),
nearest AS (
    SELECT v.month, max(m.map_month) AS map_month
    FROM value_months v JOIN (SELECT DISTINCT map_month FROM maps) m ON m.map_month <= v.month
    GROUP BY v.month
)
SELECT n.month, m.practice_code, m.pcn_code
FROM nearest n JOIN maps m USING (map_month)
WHERE m.pcn_code IS NOT NULL
