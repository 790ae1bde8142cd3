-- Presentations whose names, read lossily as UTF-8, are not pure ASCII, so may have been altered:
-- the first data row of each, for pipelines/datasets/epd/scan.py to re-read those bytes as Latin-1.
-- The fact keeps the file's row order, so its file_row_number is the CSV data-row number.
SELECT bnf_code, min(file_row_number) AS row
FROM read_parquet($fact_path, file_row_number = true)
WHERE regexp_matches(chem_name, '[^\x00-\x7F]') OR regexp_matches(bnf_name, '[^\x00-\x7F]')
GROUP BY bnf_code;
