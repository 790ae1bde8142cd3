-- The staged month in numbers: rows, items, practices, unidentified rows and rows with a blank YEAR_MONTH.
SELECT coalesce(sum(rows), 0), coalesce(sum(items), 0), count(DISTINCT practice_code),
       coalesce(sum(unidentified_rows), 0), coalesce(sum(rows_without_month), 0)
FROM practice_counts
