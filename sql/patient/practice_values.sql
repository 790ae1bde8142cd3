-- Practice rows of the patient-level indicators for one month, in the same shape as the public-data
-- practice values (sql/indicators/practice_values.sql), so every org level is built the same way.
-- Every practice with a registered patient on the last day of M gets a row for every indicator.
-- Registered: patient_specs(indicator_id, multiplier, unit); the month's members in $members_path;
-- practices' names and organisations from NHS Digital's map ($geography_path, nearest month).
WITH practices AS (
    SELECT DISTINCT practice_code FROM read_parquet($registrations_path)
    WHERE registered_from <= $window_end AND (registered_to IS NULL OR registered_to >= $window_end)
),
counts AS (
    SELECT indicator_id, practice_code,
           count(*) FILTER (WHERE role = 'numerator') AS numerator,
           count(*) FILTER (WHERE role = 'denominator') AS denominator
    FROM read_parquet($members_path)
    GROUP BY indicator_id, practice_code
),
geo AS (
    SELECT practice_code, any_value(practice_name) AS practice_name, any_value(sub_icb_code) AS sub_icb_code,
           any_value(icb_code) AS icb_code, any_value(region_code) AS region_code
    FROM read_parquet($geography_path) GROUP BY practice_code
)
SELECT $month AS month, s.indicator_id, p.practice_code, g.practice_name, g.sub_icb_code, g.icb_code, g.region_code,
       CAST(coalesce(c.numerator, 0) AS DOUBLE) AS numerator,
       CASE WHEN s.unit = 'count' THEN NULL ELSE CAST(coalesce(c.denominator, 0) AS DOUBLE) END AS denominator,
       CASE
           WHEN s.unit = 'count' THEN CAST(coalesce(c.numerator, 0) AS DOUBLE)
           WHEN coalesce(c.denominator, 0) > 0 THEN c.numerator / c.denominator * s.multiplier
       END AS value,
       CAST(NULL AS VARCHAR) AS list_size_month
FROM practices p CROSS JOIN patient_specs s
LEFT JOIN counts c ON c.indicator_id = s.indicator_id AND c.practice_code = p.practice_code
LEFT JOIN geo g ON g.practice_code = p.practice_code
ORDER BY s.indicator_id, p.practice_code
