-- The month's SNOMED codes and their rows, for the Verhoeff check digit (pipelines/datasets/epd/validation.py).
SELECT snomed_code, count(*) FROM read_parquet($p) WHERE snomed_code IS NOT NULL GROUP BY snomed_code
