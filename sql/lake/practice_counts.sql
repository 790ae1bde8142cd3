-- The one pass over the freshly written fact: each (practice, sub-ICB) of the month with its first data
-- row in the published file (the fact keeps the file's row order, so its names can be decoded exactly
-- from that line), its rows and items, and what ingest checks and reports about the month.
CREATE TEMP TABLE practice_counts AS
SELECT practice_code, sub_icb_code, min(file_row_number) AS row, any_value(month) AS month,
       CAST(count(*) AS BIGINT) AS rows, CAST(sum(items) AS BIGINT) AS items,
       count(*) FILTER (WHERE unidentified) AS unidentified_rows,
       count(*) FILTER (WHERE month IS NULL) AS rows_without_month
FROM read_parquet($fact_path, file_row_number = true)
GROUP BY practice_code, sub_icb_code;
