-- The month's presentations as published, in one pass over the month: code, name and items (practice
-- prescribing only, as the indicators count it). engine.py takes from it the codes the code lists are
-- expanded against and the opioid names whose strength and form it reads (pipelines/bnf/ome.py).
SELECT bnf_code, bnf_name, CAST(sum(items) AS BIGINT) AS items
FROM read_parquet($prescribing_path)
WHERE practice_code <> '-' AND practice_code NOT LIKE '%998'
GROUP BY bnf_code, bnf_name
