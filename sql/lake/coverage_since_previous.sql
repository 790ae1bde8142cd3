-- The previous month's prescribing practices, by the ICB the EPD gave them then, and how many of them have
-- no items this month (verdicts/coverage.py): a whole ICB gone from one month to the next is named even in a
-- month without a practice map. Practices, not ICB codes, are compared, so a reorganisation's new codes
-- (April 2026) do not read as absence.
WITH now AS (
    SELECT DISTINCT practice_code FROM read_parquet($practices_path) WHERE items > 0
), before AS (
    SELECT DISTINCT practice_code, icb_code, icb_name FROM read_parquet($previous_path)
    WHERE items > 0 AND practice_code <> '-'
)
SELECT icb_code, any_value(icb_name) AS name, count(*) AS practices,
       count(*) FILTER (WHERE practice_code NOT IN (SELECT practice_code FROM now)) AS gone
FROM before
GROUP BY icb_code
ORDER BY icb_code
