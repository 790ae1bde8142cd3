-- Each practice's organisations today, so every month's values can be re-based on today's ICBs and
-- trends stay continuous across reorganisations (CCG mergers of 2018-2021, ICBs of 2022, 2026).
-- * A practice in the newest NHS Digital practice map in the lake: its row there (and its PCN, the only
--   place PCNs come from).
-- * Any other cost centre (closed practices, non-GP centres): the sub-ICB/CCG code EPD last gave it,
--   carried forward to a sub-ICB of the newest map: itself if the map still has it; else the sub-ICB most
--   of that code's practices are in now (from every map in the lake); else, for a CCG of 2020, the CCG
--   it became by 2022 (ccg_successors, registered from reference/ccg_successors.csv) and on from there.
--   What cannot be carried forward stays NULL: counted in England only, and reported (engine.py).
-- * With no map in the lake at all there is no 'today' to re-base on: the EPD rows' own geography.
WITH newest AS (
    SELECT practice_code, ods_pcn(pcn_code) AS pcn_code, sub_icb_code, icb_code, region_code
    FROM read_parquet($geography_path)
),
sub_icb_now AS (
    SELECT sub_icb_code, any_value(icb_code) AS icb_code, any_value(region_code) AS region_code
    FROM newest GROUP BY sub_icb_code
),
lake_successors AS (
    SELECT old_code, arg_max(new_code, practices) AS new_code
    FROM (SELECT o.sub_icb_code AS old_code, n.sub_icb_code AS new_code, count(DISTINCT o.practice_code) AS practices
          FROM read_parquet($maps_files) o JOIN newest n USING (practice_code)
          GROUP BY 1, 2)
    GROUP BY old_code
),
last_seen AS (
    SELECT practice_code,
           arg_max(ods_sub_icb(sub_icb_code), month) AS sub_icb_code,
           arg_max(icb_code, month) AS icb_code,
           arg_max(region_code, month) AS region_code
    FROM read_parquet($practices_files)
    WHERE practice_code <> '-' AND practice_code NOT LIKE '%998'
    GROUP BY practice_code
),
carried AS (
    SELECT l.*,
           CASE WHEN l.sub_icb_code IN (SELECT sub_icb_code FROM sub_icb_now) THEN l.sub_icb_code
                ELSE coalesce(s1.new_code,
                              CASE WHEN c.ccg_code_2022 IN (SELECT sub_icb_code FROM sub_icb_now) THEN c.ccg_code_2022 END,
                              s2.new_code)
           END AS sub_icb_now_code
    FROM last_seen l
    LEFT JOIN lake_successors s1 ON s1.old_code = l.sub_icb_code
    LEFT JOIN ccg_successors c ON c.ccg_code_2020 = l.sub_icb_code
    LEFT JOIN lake_successors s2 ON s2.old_code = c.ccg_code_2022
    WHERE l.practice_code NOT IN (SELECT practice_code FROM newest)
)
SELECT practice_code, pcn_code, sub_icb_code, icb_code, region_code FROM newest
UNION ALL
SELECT c.practice_code, NULL,  -- a practice the newest map does not list is in no PCN today
       CASE WHEN (SELECT count(*) FROM newest) = 0 THEN c.sub_icb_code ELSE c.sub_icb_now_code END,
       CASE WHEN (SELECT count(*) FROM newest) = 0 THEN c.icb_code ELSE s.icb_code END,
       CASE WHEN (SELECT count(*) FROM newest) = 0 THEN c.region_code ELSE s.region_code END
FROM carried c LEFT JOIN sub_icb_now s ON s.sub_icb_code = c.sub_icb_now_code
