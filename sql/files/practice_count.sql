-- The practices of a Parquet file of practice values.
SELECT count(DISTINCT practice_code) FROM read_parquet($p)
