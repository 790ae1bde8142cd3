-- Each org's value over the baseline period (default calendar 2021, as NHS England's Medicines Safety
-- Improvement Programme reports), current geography, pooled like every aggregate here: sum of numerators
-- over sum of denominators (x days of each month for per-day rates); counts as the monthly mean.
-- indicator_specs(indicator_id, unit, multiplier, per_day) is registered from the catalogue.
SELECT v.indicator_id, v.org_type, v.org_code,
       CASE
           WHEN any_value(s.unit) = 'count' THEN avg(v.numerator)
           WHEN sum(v.denominator * CASE WHEN s.per_day THEN day(last_day(strptime(v.month || '-01', '%Y-%m-%d'))) ELSE 1 END) > 0
               THEN sum(v.numerator) / sum(v.denominator * CASE WHEN s.per_day
                        THEN day(last_day(strptime(v.month || '-01', '%Y-%m-%d'))) ELSE 1 END) * any_value(s.multiplier)
       END AS baseline_value,
       count(DISTINCT v.month) AS baseline_months
FROM read_parquet($values_files) v
JOIN indicator_specs s USING (indicator_id)
WHERE v.geography = 'current' AND v.month BETWEEN $first AND $last
  AND (s.unit = 'count' OR v.denominator IS NOT NULL)
GROUP BY v.indicator_id, v.org_type, v.org_code
