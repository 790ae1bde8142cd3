-- The month's opioid presentations in the OME scope as published: code, name and items (practice
-- prescribing only, as the indicators count it). engine.py reads each name's strength and form
-- (pipelines/bnf/ome.py) and reports the items of any it cannot read.
SELECT bnf_code, bnf_name, CAST(sum(items) AS BIGINT) AS items
FROM read_parquet($prescribing_path)
WHERE left(bnf_code, 9) IN (SELECT unnest($chem_codes))
  AND practice_code <> '-' AND practice_code NOT LIKE '%998'
GROUP BY bnf_code, bnf_name
