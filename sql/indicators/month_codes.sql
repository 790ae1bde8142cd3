-- The month's published codes that some indicator role selects, resolved once per code instead of once
-- per row: each published code with the current code it stands for (NHSBSA's code changes), the role it
-- fills, the OME per unit read from its own published name, its name as published and, for a recoded
-- presentation, the current code's name in NHSBSA's list. code_amounts.sql joins the month's ~18 M rows
-- to this small table's published codes alone (a hash join on one column: 0.54 s -> 0.14 s on a
-- national month), and the breakdown takes names from here, not from the rows.
-- Tables registered by pipelines/indicators/engine.py: month_presentations(bnf_code, bnf_name, items),
-- bnf_code_changes, indicator_codes, opioid_ome, current_names (see practice_values.sql).
SELECT p.bnf_code AS published_code, c.indicator_id, c.role, c.bnf_code,
       o.ome_mg_per_unit, p.bnf_name AS published_name, n.bnf_name AS current_name
-- a code published under two names in a month (not seen in real files) is shown under the one with most items
FROM (SELECT bnf_code, arg_max(bnf_name, items) AS bnf_name FROM month_presentations GROUP BY bnf_code) p
LEFT JOIN bnf_code_changes cc ON cc.old_code = p.bnf_code
JOIN indicator_codes c ON c.bnf_code = coalesce(cc.new_code, p.bnf_code)
LEFT JOIN opioid_ome o ON o.bnf_code = p.bnf_code
LEFT JOIN current_names n ON n.bnf_code = cc.new_code
