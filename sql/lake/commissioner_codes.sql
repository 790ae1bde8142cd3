-- The month's items by commissioner (PCO) code as EPD gives it, normalised to the ODS sub-ICB/CCG code,
-- for identified prescribing; checks.commissioners compares the codes with the era's reference set.
SELECT ods_sub_icb(sub_icb_code) AS code, CAST(sum(items) AS BIGINT) AS items
FROM read_parquet($prescribing_path)
WHERE practice_code <> '-'
GROUP BY 1
