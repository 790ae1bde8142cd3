-- Items of presentations an OME indicator counts that have no strength in reference/opioid_strengths.csv
-- (so contribute no OME): reported so the table can be extended rather than silently undercounting.
-- Read from the month's practice breakdown (already written), not from another scan of the month.
SELECT b.bnf_code, any_value(b.bnf_name) AS bnf_name, CAST(sum(b.items) AS BIGINT) AS items
FROM read_parquet($breakdown_path) b
JOIN indicator_roles m ON m.indicator_id = b.indicator_id AND m.role = 'numerator' AND m.measure = 'ome_mg'
WHERE b.ome_mg IS NULL
GROUP BY b.bnf_code
ORDER BY items DESC
