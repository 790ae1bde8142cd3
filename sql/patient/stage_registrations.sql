-- The registrations table as supplied, every field as text, with its 1-based data row number. The
-- optional flag columns a supplier left out arrive as NULL (pipelines/datasets/patient/contract.py).
COPY (
    SELECT row_number() OVER () AS row,
           CAST(patient_id AS VARCHAR) AS patient_id, CAST(practice_code AS VARCHAR) AS practice_code,
           CAST(sex AS VARCHAR) AS sex, CAST(date_of_birth AS VARCHAR) AS date_of_birth,
           CAST(registered_from AS VARCHAR) AS registered_from, CAST(registered_to AS VARCHAR) AS registered_to,
           CAST(learning_disability_or_autism AS VARCHAR) AS learning_disability_or_autism
    FROM ((SELECT NULL::VARCHAR AS learning_disability_or_autism WHERE false)
          UNION ALL BY NAME (SELECT * FROM source))
) TO $out_path (FORMAT parquet, COMPRESSION zstd);
