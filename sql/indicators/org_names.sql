-- Names for PCNs, sub-ICB locations, ICBs and regions: the newest name the lake or reference tables hold.
WITH sub_icbs AS (
    SELECT ods_sub_icb(sub_icb_code) AS org_code,
           arg_max(sub_icb_name, month) AS org_name
    FROM read_parquet($practices_files)
    WHERE practice_code <> '-'
    GROUP BY 1
)
SELECT 'sub_icb' AS org_type, org_code, org_name FROM sub_icbs
UNION ALL
SELECT 'pcn', ods_pcn(pcn_code), arg_max(pcn_name, month)
FROM read_parquet($maps_files) WHERE ods_pcn(pcn_code) IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'icb', icb_ods_code, any_value(icb_name)
FROM read_csv([$icbs_2022_path, $icbs_2026_path], all_varchar = true, union_by_name = true)
GROUP BY icb_ods_code
UNION ALL
SELECT 'region', region_ods_code, region_name FROM read_csv($regions_path, all_varchar = true)
UNION ALL
SELECT 'england', 'ENG', 'England'
