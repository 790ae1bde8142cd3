-- The month's practice map against the month's EPD (verdicts/coverage.py): for every ICB and sub-ICB location
-- of the map, its practices and how many of them have items in the EPD's practice dimension. An ICB with
-- practices and none prescribing is missing from the EPD file, not quiet.
WITH present AS (
    SELECT DISTINCT practice_code FROM read_parquet($practices_path) WHERE items > 0
), mapped AS (
    SELECT m.practice_code, m.icb_code, m.icb_name, m.sub_icb_code, m.sub_icb_name,
           p.practice_code IS NOT NULL AS prescribing
    FROM read_parquet($map_path) AS m
    LEFT JOIN present AS p USING (practice_code)
)
SELECT 'icb' AS level, icb_code AS code, any_value(icb_name) AS name, NULL AS icb_code, count(*) AS practices,
       count(*) FILTER (WHERE prescribing) AS prescribing
FROM mapped
GROUP BY icb_code
UNION ALL
SELECT 'sub_icb', sub_icb_code, any_value(sub_icb_name), any_value(icb_code), count(*),
       count(*) FILTER (WHERE prescribing)
FROM mapped
GROUP BY sub_icb_code
ORDER BY level, code
