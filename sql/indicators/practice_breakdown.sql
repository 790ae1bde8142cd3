-- Which presentations make each practice's numerator: practice x indicator x BNF code for the month.
-- For expected co-exposure indicators the first component (NSAIDs, the drug to review) is listed.
-- Presentations are shown under their current code (NHSBSA's code changes) and, for a recoded one, the
-- current code's name where NHSBSA's list has it.
-- code_amounts has one row per practice and code, indicator_codes one per indicator, role and code, and an
-- indicator has either a numerator or components (pipelines/indicators/engine.py: code_tables), so no row
-- needs summing here.
SELECT $month AS month, c.indicator_id, a.practice_code, a.bnf_code, n.bnf_name,
       a.items, a.quantity, a.adq, a.ome_mg
FROM code_amounts a
JOIN indicator_codes c USING (bnf_code)
-- a code's name: the current code's in NHSBSA's list if the month has it under an old code, else as published
JOIN (SELECT bnf_code, coalesce(any_value(current_name), any_value(published_name)) AS bnf_name
      FROM month_codes GROUP BY bnf_code) n USING (bnf_code)
WHERE c.role IN ('numerator', 'component_1')
