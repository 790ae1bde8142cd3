-- The month's items by commissioner (PCO) code as EPD gives it, normalised to the ODS sub-ICB/CCG code,
-- for identified prescribing; verdicts/commissioners.py compares the codes with the era's reference set.
-- Read from the month's practice dimension (rows and items per practice and PCO), not its 18 M rows.
SELECT ods_sub_icb(sub_icb_code) AS code, CAST(sum(items) AS BIGINT) AS items
FROM read_parquet($practices_path)
WHERE practice_code <> '-'
GROUP BY 1
