-- Each practice's latest organisations: the newest NHS Digital practice map in the lake, and for cost
-- centres absent from it (non-GP centres), the newest month in which EPD lists them. Used to re-base every
-- month's values on today's ICBs, so trends stay continuous across the April 2026 reorganisation.
WITH mapped AS (
    SELECT practice_code, sub_icb_code, icb_code, region_code
    FROM read_parquet($geography_path)
),
from_epd AS (
    SELECT practice_code,
           arg_max(ods_sub_icb(sub_icb_code), month) AS sub_icb_code,
           arg_max(icb_code, month) AS icb_code,
           arg_max(region_code, month) AS region_code
    FROM read_parquet($practices_files)
    WHERE practice_code <> '-' AND practice_code NOT LIKE '%998'
    GROUP BY practice_code
)
SELECT * FROM mapped
UNION ALL
SELECT * FROM from_epd WHERE practice_code NOT IN (SELECT practice_code FROM mapped)
