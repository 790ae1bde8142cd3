-- The rows of a Parquet file (or glob) written by this run.
SELECT count(*) FROM read_parquet($p)
