-- Every org's indicator values in today's geography for the months $first to $last.
SELECT * FROM read_parquet($p) WHERE geography = 'current' AND month >= $first AND month <= $last
