-- Figures about a staged month that ingest checks and reports (months present, rows, items).
SELECT
    list(DISTINCT year_month ORDER BY year_month) AS year_months,
    count(*) AS rows,
    CAST(coalesce(sum(items), 0) AS BIGINT) AS items,
    count(DISTINCT practice_code) AS practices,
    count(*) FILTER (WHERE unidentified) AS unidentified_rows
FROM read_parquet($staging_path);
