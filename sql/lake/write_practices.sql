-- Practice (cost-centre) dimension of the month: names and addresses once per practice and sub-ICB,
-- instead of on 18 million rows. Unidentified prescribing ('-') gets one row per sub-ICB it appears in.
-- `practice_names` is registered by the caller (names as published, Latin-1 repaired).
COPY (
    WITH counts AS (
        SELECT practice_code, sub_icb_code, any_value(month) AS month,
               CAST(count(*) AS BIGINT) AS rows, CAST(sum(items) AS BIGINT) AS items
        FROM read_parquet($fact_path)
        GROUP BY practice_code, sub_icb_code
    )
    SELECT c.month, c.practice_code, c.sub_icb_code,
           n.practice_name, n.address_1, n.address_2, n.address_3, n.address_4, n.postcode,
           n.sub_icb_name, n.icb_code, n.icb_name, n.region_code, n.region_name,
           c.rows, c.items
    FROM counts c JOIN practice_names n USING (practice_code, sub_icb_code)
    ORDER BY c.practice_code, c.sub_icb_code
) TO $out_path (FORMAT parquet, COMPRESSION zstd);
