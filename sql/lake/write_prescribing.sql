-- The normalised month: one row per published row, organisation names moved out to the practice
-- dimension. Sorted by BNF code so that prefix filters (WHERE bnf_code LIKE '0407%') skip most row
-- groups via Parquet min/max statistics.
COPY (
    SELECT
        strftime(strptime(year_month, '%Y%m'), '%Y-%m') AS month,
        region_code, icb_code, sub_icb_code, practice_code,
        chem_code, chem_name, bnf_code, bnf_name, snomed_code,
        quantity, items, total_quantity, adq_usage, nic, actual_cost, unidentified
    FROM read_parquet($staging_path)
    ORDER BY bnf_code, practice_code, quantity
) TO $out_path (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880);
