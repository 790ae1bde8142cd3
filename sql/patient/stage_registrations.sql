-- The registrations table as supplied, every field as text, with its 1-based data row number.
COPY (
    SELECT row_number() OVER () AS row,
           CAST(patient_id AS VARCHAR) AS patient_id, CAST(practice_code AS VARCHAR) AS practice_code,
           CAST(sex AS VARCHAR) AS sex, CAST(date_of_birth AS VARCHAR) AS date_of_birth,
           CAST(registered_from AS VARCHAR) AS registered_from, CAST(registered_to AS VARCHAR) AS registered_to
    FROM source
) TO $out_path (FORMAT parquet, COMPRESSION zstd);
