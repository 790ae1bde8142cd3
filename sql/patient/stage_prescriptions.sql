-- The prescriptions table as supplied, every field as text, with its 1-based data row number, so the
-- checks can name the row of any bad value. `source` is the supplied file (CSV or Parquet), registered
-- by pipelines/patient/extract.py; optional columns a supplier left out arrive as NULL.
COPY (
    SELECT row_number() OVER () AS row,
           CAST(patient_id AS VARCHAR) AS patient_id, CAST(practice_code AS VARCHAR) AS practice_code,
           CAST(issue_date AS VARCHAR) AS issue_date, CAST(bnf_code AS VARCHAR) AS bnf_code,
           CAST(quantity AS VARCHAR) AS quantity,
           CAST(snomed_code AS VARCHAR) AS snomed_code, CAST(dose_text AS VARCHAR) AS dose_text
    FROM ((SELECT NULL::VARCHAR AS snomed_code, NULL::VARCHAR AS dose_text WHERE false)
          UNION ALL BY NAME (SELECT * FROM source))
) TO $out_path (FORMAT parquet, COMPRESSION zstd);
