-- The checked extract's registration spells and patients.
SELECT count(*), count(DISTINCT patient_id) FROM read_parquet($p)
