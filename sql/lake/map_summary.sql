-- The month's practice map: practices and ICBs.
SELECT count(*), count(DISTINCT icb_code) FROM read_parquet($p)
