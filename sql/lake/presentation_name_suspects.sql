-- Presentations whose names, read lossily as UTF-8, are not pure ASCII, so may have been altered:
-- the first data row of each, for pipelines/datasets/epd/scan.py to re-read those bytes as Latin-1.
-- The fact keeps the file's row order, so its file_row_number is the CSV data-row number.
SELECT bnf_code, min(file_row_number) AS row
FROM read_parquet($fact_path, file_row_number = true)
-- Not ASCII = more bytes (strlen) than characters (length): 0.2 s on a national month, where a regular
-- expression for the same took 2.7 s (BENCHMARKS.md, issue 31).
WHERE strlen(chem_name) <> length(chem_name) OR strlen(bnf_name) <> length(bnf_name)
GROUP BY bnf_code;
