-- The checked extract's issues: how many, and the first and last issue date.
SELECT count(*), min(issue_date)::VARCHAR, max(issue_date)::VARCHAR FROM read_parquet($p)
