-- Figures about a freshly written month that ingest checks and reports (months present, rows, items).
SELECT
    list(DISTINCT month ORDER BY month) AS months,
    count(*) AS rows,
    CAST(coalesce(sum(items), 0) AS BIGINT) AS items,
    count(DISTINCT practice_code) AS practices,
    count(*) FILTER (WHERE unidentified) AS unidentified_rows
FROM read_parquet($fact_path);
