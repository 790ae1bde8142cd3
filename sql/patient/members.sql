-- Who counts in each patient-level indicator for one reporting month: one row per indicator, role
-- (numerator or denominator) and patient, with the practice the patient counts for.
-- Window: issues from $window_start (first day of M-2) to $window_end (last day of M), inclusive.
-- Registered by pipelines/patient/engine.py from the catalogue (never from input):
--   patient_rules(indicator_id, role, sex, age_min, age_max, n_all, co_days, min_ome)
--   patient_rule_groups(indicator_id, role, group_name, kind ('all' | 'none'), position)
--   patient_rule_flags(indicator_id, role, flag)   registration flags a rule needs (Y); only rules whose
--                                                 flags the extract carries are registered
--   drug_group_codes(group_name, bnf_code)      the shared drug groups expanded against the extract's codes
--   opioid_ome(bnf_code, ome_mg_per_unit)        read from NHSBSA's published names (pipelines/bnf/ome.py)
--   bnf_code_changes(old_code, new_code)         NHSBSA's code changes: drug groups match the current code
WITH reg AS (
    -- The registration in force on the last day of M (the latest spell if a supplier's spells overlap).
    -- The optional flag columns are NULL in a lake file written before they existed.
    SELECT patient_id, practice_code, sex, learning_disability_or_autism,
           year($window_end) - year(date_of_birth)
             - CASE WHEN strftime(date_of_birth, '%m%d') > strftime($window_end, '%m%d') THEN 1 ELSE 0 END AS age
    FROM ((SELECT NULL::BOOLEAN AS learning_disability_or_autism WHERE false)
          UNION ALL BY NAME (SELECT * FROM read_parquet($registrations_path)))
    WHERE registered_from <= $window_end AND (registered_to IS NULL OR registered_to >= $window_end)
      AND date_of_birth <= $window_end
    QUALIFY row_number() OVER (PARTITION BY patient_id ORDER BY registered_from DESC, practice_code) = 1
),
reg_flags AS (
    -- One row per patient and registration flag set to Y on the registration in force.
    SELECT patient_id, 'learning_disability_or_autism' AS flag FROM reg WHERE learning_disability_or_autism
),
issues AS (
    -- Issues at any practice count: a patient who moved brings their window with them.
    SELECT p.patient_id, g.group_name, p.issue_date, p.quantity, p.bnf_code
    FROM read_parquet($prescriptions_path) p
    LEFT JOIN bnf_code_changes cc ON cc.old_code = p.bnf_code
    JOIN drug_group_codes g ON g.bnf_code = coalesce(cc.new_code, p.bnf_code)
    WHERE p.issue_date BETWEEN $window_start AND $window_end
),
patient_groups AS (
    SELECT DISTINCT patient_id, group_name FROM issues
),
ome AS (
    -- Average daily OME over the window: quantity x strength x factor (x hours worn, for patches),
    -- summed over every opioid issue, divided by the calendar days of the window.
    SELECT i.patient_id, sum(i.quantity * o.ome_mg_per_unit) / $window_days AS ome_mg_per_day
    FROM issues i
    JOIN opioid_ome o ON o.bnf_code = i.bnf_code
    WHERE i.group_name = 'opioid_analgesic'
    GROUP BY i.patient_id
),
rule_hits AS (
    -- For each rule and patient with any of its groups: how many `all` groups and `none` groups were issued.
    SELECT rg.indicator_id, rg.role, pg.patient_id,
           count(*) FILTER (WHERE rg.kind = 'all') AS all_present,
           count(*) FILTER (WHERE rg.kind = 'none') AS none_present
    FROM patient_groups pg JOIN patient_rule_groups rg USING (group_name)
    GROUP BY rg.indicator_id, rg.role, pg.patient_id
),
candidates AS (
    SELECT h.indicator_id, h.role, h.patient_id, h.none_present
    FROM rule_hits h JOIN patient_rules r USING (indicator_id, role)
    WHERE r.n_all > 0 AND h.all_present = r.n_all
    UNION ALL
    -- A rule with no `all` group (a registered population): every registered patient is a candidate.
    SELECT r.indicator_id, r.role, g.patient_id, coalesce(h.none_present, 0)
    FROM patient_rules r CROSS JOIN reg g
    LEFT JOIN rule_hits h ON h.indicator_id = r.indicator_id AND h.role = r.role AND h.patient_id = g.patient_id
    WHERE r.n_all = 0
),
co_issued AS (
    -- PINCER's rule: an issue of the first `all` group with an issue of every other `all` group fewer
    -- than co_days days before or after it.
    SELECT r.indicator_id, r.role, a.patient_id
    FROM patient_rules r
    JOIN patient_rule_groups ga ON ga.indicator_id = r.indicator_id AND ga.role = r.role AND ga.position = 1
    JOIN issues a ON a.group_name = ga.group_name
    JOIN patient_rule_groups go ON go.indicator_id = r.indicator_id AND go.role = r.role
                                AND go.kind = 'all' AND go.position > 1
    JOIN issues o ON o.patient_id = a.patient_id AND o.group_name = go.group_name
                 AND abs(date_diff('day', a.issue_date, o.issue_date)) < r.co_days
    WHERE r.co_days IS NOT NULL
    GROUP BY r.indicator_id, r.role, a.patient_id, a.issue_date, r.n_all
    HAVING count(DISTINCT go.group_name) = r.n_all - 1
)
SELECT c.indicator_id, c.role, c.patient_id, g.practice_code
FROM candidates c
JOIN patient_rules r USING (indicator_id, role)
JOIN reg g USING (patient_id)
LEFT JOIN ome o USING (patient_id)
WHERE c.none_present = 0
  AND (r.sex IS NULL OR g.sex = r.sex)
  AND (r.age_min IS NULL OR g.age >= r.age_min)
  AND (r.age_max IS NULL OR g.age <= r.age_max)
  AND (r.min_ome IS NULL OR coalesce(o.ome_mg_per_day, 0) >= r.min_ome)
  AND NOT EXISTS (SELECT 1 FROM patient_rule_flags f
                  WHERE f.indicator_id = c.indicator_id AND f.role = c.role
                    AND NOT EXISTS (SELECT 1 FROM reg_flags rf WHERE rf.patient_id = c.patient_id AND rf.flag = f.flag))
  AND (r.co_days IS NULL OR EXISTS (SELECT 1 FROM co_issued x WHERE x.indicator_id = c.indicator_id
                                    AND x.role = c.role AND x.patient_id = c.patient_id))
ORDER BY c.indicator_id, c.role, c.patient_id
