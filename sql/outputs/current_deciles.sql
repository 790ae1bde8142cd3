-- Practice deciles in today's geography for the months $first to $last.
SELECT * FROM read_parquet($p)
WHERE geography = 'current' AND org_type = 'practice' AND month >= $first AND month <= $last
