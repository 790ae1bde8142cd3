-- Typed prescriptions for the indicator queries (only after the checks passed), ordered by issue date so
-- that a three-month window reads few row groups.
COPY (
    SELECT trim(patient_id) AS patient_id, trim(practice_code) AS practice_code,
           CAST(issue_date AS DATE) AS issue_date, trim(bnf_code) AS bnf_code,
           CAST(quantity AS DOUBLE) AS quantity, nullif(trim(snomed_code), '') AS snomed_code, dose_text
    FROM read_parquet($staged_path)
    ORDER BY issue_date, patient_id
) TO $out_path (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880);
