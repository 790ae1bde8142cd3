-- Read one published EPD CSV (every field as text, Latin-1) and cast it to canonical typed columns.
-- $names maps the published header, column by column, to canonical names (pipelines/epd/flavours.py);
-- the empty SELECT in front supplies snomed_code as NULL for legacy files that have no such column.
-- Casts are strict: a non-numeric measure aborts the copy, and locate_bad_value.sql then finds the line.
COPY (
    WITH raw AS (
        SELECT * FROM (SELECT NULL::VARCHAR AS snomed_code WHERE false)
        UNION ALL BY NAME
        SELECT * FROM read_csv(
            $csv_path, header = false, skip = 1, names = $names, all_varchar = true,
            encoding = 'latin-1', delim = ',', quote = '"', escape = '"', strict_mode = true
        )
    )
    SELECT
        replace(trim(year_month), '-', '')                     AS year_month,
        trim(region_code)                                       AS region_code,
        trim(region_name)                                       AS region_name,
        trim(icb_code)                                          AS icb_code,
        trim(icb_name)                                          AS icb_name,
        trim(sub_icb_code)                                      AS sub_icb_code,
        trim(sub_icb_name)                                      AS sub_icb_name,
        trim(practice_code)                                     AS practice_code,
        trim(practice_name)                                     AS practice_name,
        trim(address_1) AS address_1, trim(address_2) AS address_2,
        trim(address_3) AS address_3, trim(address_4) AS address_4,
        trim(postcode)                                          AS postcode,
        trim(chem_code)                                         AS chem_code,
        trim(chem_name)                                         AS chem_name,
        trim(bnf_code)                                          AS bnf_code,
        trim(bnf_name)                                          AS bnf_name,
        nullif(trim(snomed_code), '')                           AS snomed_code,
        CAST(trim(quantity) AS DOUBLE)                          AS quantity,
        CAST(trim(items) AS INTEGER)                            AS items,
        CAST(trim(total_quantity) AS DOUBLE)                    AS total_quantity,
        CAST(nullif(trim(adq_usage), '') AS DOUBLE)             AS adq_usage,
        CAST(trim(nic) AS DOUBLE)                               AS nic,
        CAST(trim(actual_cost) AS DOUBLE)                       AS actual_cost,
        CASE upper(trim(unidentified))
            WHEN 'Y' THEN true WHEN 'TRUE' THEN true
            WHEN 'N' THEN false WHEN 'FALSE' THEN false
            ELSE error('UNIDENTIFIED must be Y or N, found ''' || coalesce(unidentified, 'NULL') || '''')
        END                                                     AS unidentified
    FROM raw
) TO $staging_path (FORMAT parquet, COMPRESSION zstd);
