-- Practice-month numerators and denominators of every public-data indicator, from the month's code amounts.
-- Tables registered by pipelines/indicators/engine.py (built from the catalogue, never from input text):
--   indicator_codes(indicator_id, role, bnf_code)   every presentation each role's filters select
--   indicator_roles(indicator_id, role, measure)     numerator / denominator / component_N and its measure
--   indicator_specs(indicator_id, numerator_measure, list_size, unit, multiplier, per_day, components)
--   opioid_ome(bnf_code, ome_mg_per_unit)           read from the month's published names (pipelines/bnf/ome.py)
--   bnf_code_changes(old_code, new_code)            NHSBSA's code changes: lists match the current code
--   month_codes                                      the above resolved per published code (month_codes.sql)
--   code_amounts                                     the month's rows summed by practice and code (code_amounts.sql)
-- Unidentified ('-') and '%998' cost centres are not practices and are left out here; so are non-GP cost
-- centres (out-of-hours, walk-in, federations) when a practice map is known: only the GP practices in NHS
-- Digital's map ($gp_practices_path, the month's or the nearest earlier) get rows, as OpenPrescribing
-- counts only prescribing setting 4.
WITH gp AS (
    SELECT DISTINCT practice_code FROM read_parquet($gp_practices_path)
),
practices AS (
    -- The month's identified cost centres with the organisation codes EPD gives them (a cost centre
    -- listed under two sub-ICBs in one month takes the one with most items).
    SELECT practice_code,
           arg_max(practice_name, items) AS practice_name,
           arg_max(ods_sub_icb(sub_icb_code), items) AS sub_icb_code,
           arg_max(icb_code, items) AS icb_code,
           arg_max(region_code, items) AS region_code
    FROM read_parquet($practices_path)
    WHERE practice_code <> '-' AND practice_code NOT LIKE '%998'
      AND (NOT $only_gp_practices OR practice_code IN (SELECT practice_code FROM gp))
    GROUP BY practice_code
),
role_amounts AS (
    -- code_amounts (code_amounts.sql): the month's rows summed by practice and code, here by role
    SELECT c.indicator_id, c.role, a.practice_code,
           CASE any_value(m.measure)
               WHEN 'items' THEN sum(a.items)
               WHEN 'quantity' THEN sum(a.quantity)
               WHEN 'adq' THEN sum(a.adq)
               WHEN 'ome_mg' THEN sum(coalesce(a.ome_mg, 0))
           END AS amount
    FROM code_amounts a
    JOIN indicator_codes c USING (bnf_code)
    JOIN indicator_roles m USING (indicator_id, role)
    GROUP BY c.indicator_id, c.role, a.practice_code
),
lists AS (
    SELECT practice_code, patients, aged_65_plus, female_13_54,
           -- adults: 18 is not a band boundary, so 18-19 is taken as two fifths of 15-19
           patients - aged_0_14 - 0.6 * aged_15_19 AS adults
    FROM read_parquet($list_sizes_path)
),
grid AS (
    SELECT s.*, p.*,
           CASE s.list_size WHEN 'patients' THEN l.patients WHEN 'aged_65_plus' THEN l.aged_65_plus
                            WHEN 'female_13_54' THEN l.female_13_54 WHEN 'adults' THEN l.adults END AS population
    FROM indicator_specs s CROSS JOIN practices p LEFT JOIN lists l USING (practice_code)
),
per_practice AS (
    SELECT g.indicator_id, g.practice_code,
           coalesce(sum(a.amount) FILTER (WHERE a.role = 'numerator'), 0) AS plain_numerator,
           coalesce(sum(a.amount) FILTER (WHERE a.role = 'denominator'), 0) AS code_denominator,
           -- expected co-exposure (see indicators/README.md): the first component's patients on an average
           -- day (ADQ/day) taken as independent of the rest; the rest taken to overlap fully (their minimum)
           sum(a.amount / $days) FILTER (WHERE a.role = 'component_1') AS first_daily,
           min(a.amount / $days) FILTER (WHERE a.role LIKE 'component_%' AND a.role <> 'component_1') AS rest_daily,
           count(a.amount) FILTER (WHERE a.role LIKE 'component_%' AND a.amount > 0) AS components_present
    FROM grid g LEFT JOIN role_amounts a USING (indicator_id, practice_code)
    GROUP BY g.indicator_id, g.practice_code
),
computed AS (
    SELECT g.indicator_id, g.practice_code, g.practice_name, g.sub_icb_code, g.icb_code, g.region_code, g.unit,
           CASE
               WHEN g.numerator_measure <> 'expected_co_exposure' THEN p.plain_numerator
               WHEN g.population > 0 AND p.components_present = g.components
                   THEN p.first_daily * least(p.rest_daily, g.population) / g.population
               WHEN g.population > 0 THEN 0.0
           END AS numerator,
           CASE
               WHEN g.unit = 'count' THEN NULL
               WHEN g.list_size IS NOT NULL THEN g.population
               ELSE p.code_denominator
           END AS denominator,
           g.multiplier, g.per_day
    FROM grid g JOIN per_practice p USING (indicator_id, practice_code)
)
SELECT $month AS month, indicator_id, practice_code, practice_name, sub_icb_code, icb_code, region_code,
       CAST(numerator AS DOUBLE) AS numerator, CAST(denominator AS DOUBLE) AS denominator,
       CASE
           WHEN unit = 'count' THEN numerator
           WHEN denominator > 0 THEN numerator / denominator * multiplier / (CASE WHEN per_day THEN $days ELSE 1 END)
       END AS value,
       $list_size_month AS list_size_month
FROM computed
ORDER BY indicator_id, practice_code
