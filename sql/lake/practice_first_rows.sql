-- Each (practice, sub-ICB) of the month with its first data row in the published file (the fact keeps
-- the file's row order), so its names can be decoded exactly from that line.
SELECT practice_code, sub_icb_code, min(file_row_number) AS row
FROM read_parquet($fact_path, file_row_number = true)
GROUP BY practice_code, sub_icb_code
ORDER BY row;
