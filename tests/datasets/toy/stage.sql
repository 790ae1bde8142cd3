-- The toy's file, typed, with its month: the staged table (parameters bound, never formatted in).
COPY (
    SELECT $month AS month, trim(PRACTICE_CODE) AS practice_code, VACCINATED AS vaccinated
    FROM read_csv($path, header = true, columns = {'PRACTICE_CODE': 'VARCHAR', 'VACCINATED': 'BIGINT'})
) TO $out_path (FORMAT parquet)
