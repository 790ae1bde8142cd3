-- Items of presentations an OME indicator selects that have no strength in reference/opioid_strengths.csv
-- (so contribute no OME): reported so the table can be extended rather than silently undercounting.
SELECT r.bnf_code, any_value(r.bnf_name) AS bnf_name, CAST(sum(r.items) AS BIGINT) AS items
FROM read_parquet($prescribing_path) r
JOIN indicator_codes c ON c.bnf_code = r.bnf_code
JOIN indicator_roles m ON m.indicator_id = c.indicator_id AND m.role = c.role AND m.measure = 'ome_mg'
LEFT JOIN opioid_ome o ON o.bnf_code = left(r.bnf_code, 9) || 'AA' || right(r.bnf_code, 2) || right(r.bnf_code, 2)
WHERE o.bnf_code IS NULL
GROUP BY r.bnf_code
ORDER BY items DESC
