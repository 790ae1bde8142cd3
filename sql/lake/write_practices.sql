-- Practice (cost-centre) dimension of the month: names and addresses once per practice and sub-ICB,
-- instead of on 18 million rows. Unidentified prescribing ('-') gets one row per sub-ICB it appears in.
-- practice_counts (sql/lake/practice_counts.sql) and practice_names (registered by the caller: names as
-- published, decoded exactly) are both small: this reads no prescribing rows.
COPY (
    SELECT c.month, c.practice_code, c.sub_icb_code,
           n.practice_name, n.address_1, n.address_2, n.address_3, n.address_4, n.postcode,
           n.sub_icb_name, n.icb_code, n.icb_name, n.region_code, n.region_name,
           c.rows, c.items
    FROM practice_counts c JOIN practice_names n USING (practice_code, sub_icb_code)
    ORDER BY c.practice_code, c.sub_icb_code
) TO $out_path (FORMAT parquet, COMPRESSION zstd);
