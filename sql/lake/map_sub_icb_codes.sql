-- Every sub-ICB location in the lake's practice maps ($p: their files).
SELECT DISTINCT sub_icb_code FROM read_parquet($p)
