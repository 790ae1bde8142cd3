-- How many of a month's rows carry a dm+d code (SNOMED_CODE, from Nov 2020), for the PINCER check.
SELECT count(*) FROM read_parquet($p) WHERE snomed_code IS NOT NULL AND snomed_code <> ''
