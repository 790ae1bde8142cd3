-- Every GP practice row of one of NHS Digital's list-size files (quinary-age, or single-year female) as
-- published (trimmed text), with its line in the file, for the expectations
-- (pipelines/datasets/nhs_digital/suite.py) and then lake/list_sizes. Columns were mapped to canonical names
-- by header (nhs_digital_format.py; `age` is AGE_GROUP_5 or AGE); a file without ORG_TYPE (some layouts say
-- TYPE, 2017's has one) lists practices only. Read in file order (the connection keeps insertion order, one
-- thread), so row_number() + 1 is the line; the rows are written as they come (a sort costs more than the
-- rest, and every rule that names rows orders them itself).
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
