-- Typed registration spells; registered_to is NULL while the patient is registered.
COPY (
    SELECT trim(patient_id) AS patient_id, trim(practice_code) AS practice_code, upper(trim(sex)) AS sex,
           CAST(date_of_birth AS DATE) AS date_of_birth, CAST(registered_from AS DATE) AS registered_from,
           CAST(nullif(trim(registered_to), '') AS DATE) AS registered_to
    FROM read_parquet($staged_path)
    ORDER BY patient_id, registered_from
) TO $out_path (FORMAT parquet, COMPRESSION zstd);
