-- Every GP practice row of NHS Digital's quinary-age file as published (trimmed text), with its line in
-- the file, for the expectations (pipelines/checks/nhs_digital_suite.py) and then lake/list_sizes. Columns
-- were mapped to canonical names by header (nhs_digital_format.py); a file without ORG_TYPE (2017's has
-- one; some layouts say TYPE) lists practices only. Read in file order (the connection keeps insertion
-- order, one thread), so row_number() + 1 is the line (the rows are written as they come: a sort costs
-- more than the rest, and every rule that names rows orders them itself).
COPY (
    SELECT line, extract_date, org_code, sex, age_group, patients, $first_extract_date AS first_extract_date
    FROM (
        SELECT row_number() OVER () + 1 AS line, trim(extract_date) AS extract_date, trim(org_type) AS org_type,
               trim(org_code) AS org_code, upper(trim(sex)) AS sex, upper(trim(age_group)) AS age_group,
               trim(patients) AS patients
        FROM ((SELECT NULL::VARCHAR AS org_type WHERE false) UNION ALL BY NAME
              (SELECT * FROM read_csv($path, header = false, skip = 1, names = $names, all_varchar = true,
                                      encoding = $encoding, parallel = false)))
    )
    WHERE org_type IS NULL OR upper(org_type) = 'GP'
) TO $out_path (FORMAT parquet, COMPRESSION zstd);
