-- The month's list sizes: practices, patients, practices with no female 13-54 count.
SELECT count(*), coalesce(sum(patients), 0), count(*) FILTER (WHERE female_13_54 IS NULL) FROM read_parquet($p)
