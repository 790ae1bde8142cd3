-- Typed registration spells; registered_to is NULL while the patient is registered; a flag is true (Y),
-- false (N) or NULL (not recorded, or the column was not supplied).
COPY (
    SELECT trim(patient_id) AS patient_id, trim(practice_code) AS practice_code, upper(trim(sex)) AS sex,
           CAST(date_of_birth AS DATE) AS date_of_birth, CAST(registered_from AS DATE) AS registered_from,
           CAST(nullif(trim(registered_to), '') AS DATE) AS registered_to,
           CASE upper(trim(learning_disability_or_autism)) WHEN 'Y' THEN true WHEN 'N' THEN false END
               AS learning_disability_or_autism
    FROM read_parquet($staged_path)
    ORDER BY patient_id, registered_from
) TO $out_path (FORMAT parquet, COMPRESSION zstd);
