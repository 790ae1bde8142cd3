-- Practice -> PCN -> sub-ICB -> ICB -> region for one month: the map's rows once the expectations passed
-- (sql/lake/map_rows.sql staged them, one row per practice).
COPY (
    SELECT $month AS month, practice_code, practice_name, practice_postcode, pcn_code, pcn_name,
           sub_icb_code, sub_icb_name, sub_icb_ons_code, icb_code, icb_name, icb_ons_code,
           region_code, region_name, region_ons_code, $extract_date::DATE AS extract_date
    FROM read_parquet($rows_path)
    ORDER BY practice_code
) TO $out_path (FORMAT parquet, COMPRESSION zstd);
