-- Every GP practice row of NHS Digital's single-year-of-age female file as published (trimmed text), with
-- its line in the file (as sql/lake/quin_rows.sql).
COPY (
    SELECT line, extract_date, org_code, sex, age, patients, $first_extract_date AS first_extract_date
    FROM (
        SELECT row_number() OVER () + 1 AS line, trim(extract_date) AS extract_date, trim(org_type) AS org_type,
               trim(org_code) AS org_code, upper(trim(sex)) AS sex, upper(trim(age)) AS age,
               trim(patients) AS patients
        FROM ((SELECT NULL::VARCHAR AS org_type WHERE false) UNION ALL BY NAME
              (SELECT * FROM read_csv($path, header = false, skip = 1, names = $names, all_varchar = true,
                                      encoding = $encoding, parallel = false)))
    )
    WHERE org_type IS NULL OR upper(org_type) = 'GP'
) TO $out_path (FORMAT parquet, COMPRESSION zstd);
