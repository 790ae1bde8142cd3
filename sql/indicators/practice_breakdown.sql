-- Which presentations make each practice's numerator: practice x indicator x BNF code for the month.
-- For expected co-exposure indicators the first component (NSAIDs, the drug to review) is listed.
-- Presentations are shown under their current code (NHSBSA's code changes) and, for a recoded one, the
-- current code's name where NHSBSA's list has it.
SELECT $month AS month, c.indicator_id, r.practice_code, c.bnf_code,
       coalesce(any_value(n.bnf_name), any_value(r.bnf_name)) AS bnf_name,
       CAST(sum(r.items) AS BIGINT) AS items, sum(r.total_quantity) AS quantity, sum(r.adq_usage) AS adq,
       sum(r.total_quantity * o.ome_mg_per_unit) AS ome_mg
FROM read_parquet($prescribing_path) r
LEFT JOIN bnf_code_changes cc ON cc.old_code = r.bnf_code
JOIN indicator_codes c ON c.bnf_code = coalesce(cc.new_code, r.bnf_code) AND c.role IN ('numerator', 'component_1')
LEFT JOIN current_names n ON n.bnf_code = cc.new_code
LEFT JOIN opioid_ome o ON o.bnf_code = r.bnf_code
WHERE r.practice_code <> '-' AND r.practice_code NOT LIKE '%998'
GROUP BY c.indicator_id, r.practice_code, c.bnf_code
