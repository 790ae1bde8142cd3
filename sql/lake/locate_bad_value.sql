-- Diagnosis after a failed stage: the first data line whose measure fields will not cast.
-- Only runs on the failure path, so the extra scan costs nothing on good months.
-- Line numbers assume no embedded newlines, which the EPD never has (header = line 1).
SELECT line, field, value FROM (
    SELECT row_number() OVER () + 1 AS line, *
    FROM read_csv(
        $csv_path, header = false, skip = 1, names = $names, all_varchar = true,
        encoding = 'latin-1', delim = ',', quote = '"', escape = '"'
    )
)
UNPIVOT (value FOR field IN (quantity, items, total_quantity, adq_usage, nic, actual_cost))
WHERE (field = 'items' AND TRY_CAST(trim(value) AS INTEGER) IS NULL)
   OR (field = 'adq_usage' AND trim(value) <> '' AND TRY_CAST(trim(value) AS DOUBLE) IS NULL)
   OR (field NOT IN ('items', 'adq_usage') AND TRY_CAST(trim(value) AS DOUBLE) IS NULL)
   OR value IS NULL
ORDER BY line
LIMIT 1;
