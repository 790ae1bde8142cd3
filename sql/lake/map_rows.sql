-- Every row of NHS Digital's practice map as published (trimmed text; blank PCN fields NULL), with its line
-- in the file (as sql/lake/list_size_rows.sql). Pre-July-2022 files say CCG/STP where later ones say
-- SUB_ICB_LOCATION/ICB; nhs_digital_format.py maps both to the same canonical names.
COPY (
    SELECT row_number() OVER () + 1 AS line, trim(extract_date) AS extract_date,
           trim(practice_code) AS practice_code, trim(practice_name) AS practice_name,
           trim(practice_postcode) AS practice_postcode,
           nullif(trim(pcn_code), '') AS pcn_code, nullif(trim(pcn_name), '') AS pcn_name,
           trim(sub_icb_code) AS sub_icb_code, trim(sub_icb_name) AS sub_icb_name,
           trim(sub_icb_ons_code) AS sub_icb_ons_code,
           trim(icb_code) AS icb_code, trim(icb_name) AS icb_name, trim(icb_ons_code) AS icb_ons_code,
           trim(region_code) AS region_code, trim(region_name) AS region_name,
           trim(region_ons_code) AS region_ons_code,
           $first_extract_date AS first_extract_date
    FROM read_csv($path, header = false, skip = 1, names = $names, all_varchar = true, encoding = $encoding,
                  parallel = false)
) TO $out_path (FORMAT parquet, COMPRESSION zstd);
