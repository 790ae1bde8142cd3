-- Practices whose denominators could not be derived from the quinary-age file: one row per denominator
-- column and practice with a NULL, by practice code. The columns are QUIN_DENOMINATORS of
-- pipelines/datasets/nhs_digital/list_sizes.py (tests/test_tables.py checks every one of them is here).
SELECT column_name, practice_code
FROM read_parquet($p)
UNPIVOT INCLUDE NULLS (v FOR column_name IN (patients, aged_65_plus, aged_75_plus, aged_0_14, aged_15_19))
WHERE v IS NULL
ORDER BY practice_code
