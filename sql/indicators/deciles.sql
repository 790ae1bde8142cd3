-- National deciles of each indicator per month, geography and org type (orgs with a value).
SELECT indicator_id, month, geography, org_type, count(value) AS orgs,
       quantile_cont(value, 0.1) AS p10, quantile_cont(value, 0.2) AS p20, quantile_cont(value, 0.3) AS p30,
       quantile_cont(value, 0.4) AS p40, quantile_cont(value, 0.5) AS p50, quantile_cont(value, 0.6) AS p60,
       quantile_cont(value, 0.7) AS p70, quantile_cont(value, 0.8) AS p80, quantile_cont(value, 0.9) AS p90
FROM read_parquet($values_files)
WHERE value IS NOT NULL
GROUP BY indicator_id, month, geography, org_type
ORDER BY indicator_id, month, geography, org_type
