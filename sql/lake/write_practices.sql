-- Practice (cost-centre) dimension of the month: names and addresses once per practice and sub-ICB,
-- instead of on 18 million rows. Unidentified prescribing ('-') gets one row per sub-ICB it appears in.
COPY (
    SELECT
        strftime(strptime(any_value(year_month), '%Y%m'), '%Y-%m') AS month,
        practice_code, sub_icb_code,
        any_value(practice_name) AS practice_name,
        any_value(address_1) AS address_1, any_value(address_2) AS address_2,
        any_value(address_3) AS address_3, any_value(address_4) AS address_4,
        any_value(postcode) AS postcode,
        any_value(sub_icb_name) AS sub_icb_name,
        any_value(icb_code) AS icb_code, any_value(icb_name) AS icb_name,
        any_value(region_code) AS region_code, any_value(region_name) AS region_name,
        CAST(count(*) AS BIGINT) AS rows,
        CAST(sum(items) AS BIGINT) AS items
    FROM read_parquet($staging_path)
    GROUP BY practice_code, sub_icb_code
    ORDER BY practice_code, sub_icb_code
) TO $out_path (FORMAT parquet, COMPRESSION zstd);
