-- Registered patients per GP practice for one month, from the GP rows of NHS Digital's quinary-age and
-- single-year-female files as staged (sql/lake/list_size_rows.sql) and checked by the
-- expectations: one row per practice x sex x band, whole numbers. Without a female file its rows are an
-- empty table and the female columns are NULL.
COPY (
    WITH quin AS (
        SELECT org_code AS practice_code, sex, age AS age_group, CAST(patients AS BIGINT) AS patients
        FROM read_parquet($quin_rows)
    ),
    quin_wide AS (
        -- Age bands are published by sex ALL in today's layout; in 2017's only for MALE and FEMALE (SEX = ALL
        -- then comes with AGE_GROUP_5 = ALL alone), so a band missing under ALL is the sum of the two sexes.
        -- A band a practice has no row for counts as zero, unless the practice has no band rows at all: then
        -- the denominator cannot be derived and stays NULL (lake/list_sizes.py stops the month on it).
        SELECT practice_code,
            coalesce(sum(patients) FILTER (WHERE sex = 'ALL' AND age_group = 'ALL'),
                     sum(patients) FILTER (WHERE sex IN ('MALE', 'FEMALE') AND age_group = 'ALL'))  AS patients,
            sum(patients) FILTER (WHERE sex = 'FEMALE' AND age_group = 'ALL')                  AS female,
            sum(patients) FILTER (WHERE sex = 'MALE' AND age_group = 'ALL')                    AS male,
            count(*) FILTER (WHERE age_group <> 'ALL') > 0                                     AS has_bands,
            count(*) FILTER (WHERE sex = 'ALL' AND age_group <> 'ALL') > 0                     AS bands_by_all,
            coalesce(sum(patients) FILTER (WHERE sex = 'ALL' AND list_contains($bands_65_plus, age_group)), 0)   AS all_65_plus,
            coalesce(sum(patients) FILTER (WHERE sex = 'ALL' AND list_contains($bands_75_plus, age_group)), 0)   AS all_75_plus,
            coalesce(sum(patients) FILTER (WHERE sex = 'ALL' AND list_contains($bands_0_14, age_group)), 0)      AS all_0_14,
            coalesce(sum(patients) FILTER (WHERE sex = 'ALL' AND age_group = '15_19'), 0)                       AS all_15_19,
            coalesce(sum(patients) FILTER (WHERE sex IN ('MALE', 'FEMALE') AND list_contains($bands_65_plus, age_group)), 0) AS mf_65_plus,
            coalesce(sum(patients) FILTER (WHERE sex IN ('MALE', 'FEMALE') AND list_contains($bands_75_plus, age_group)), 0) AS mf_75_plus,
            coalesce(sum(patients) FILTER (WHERE sex IN ('MALE', 'FEMALE') AND list_contains($bands_0_14, age_group)), 0)    AS mf_0_14,
            coalesce(sum(patients) FILTER (WHERE sex IN ('MALE', 'FEMALE') AND age_group = '15_19'), 0)                     AS mf_15_19
        FROM quin GROUP BY practice_code
    ),
    quin_bands AS (
        SELECT practice_code, patients, female, male,
               CASE WHEN NOT has_bands THEN NULL WHEN bands_by_all THEN all_65_plus ELSE mf_65_plus END AS aged_65_plus,
               CASE WHEN NOT has_bands THEN NULL WHEN bands_by_all THEN all_75_plus ELSE mf_75_plus END AS aged_75_plus,
               CASE WHEN NOT has_bands THEN NULL WHEN bands_by_all THEN all_0_14 ELSE mf_0_14 END     AS aged_0_14,
               CASE WHEN NOT has_bands THEN NULL WHEN bands_by_all THEN all_15_19 ELSE mf_15_19 END   AS aged_15_19
        FROM quin_wide
    ),
    fem AS (
        SELECT org_code AS practice_code, age, CAST(patients AS BIGINT) AS patients
        FROM read_parquet($female_rows)
        WHERE sex = 'FEMALE'
    ),
    fem_wide AS (
        SELECT practice_code,
            -- NHSBSA's "childbearing potential" band for valproate: 13-54 inclusive.
            sum(patients) FILTER (WHERE TRY_CAST(age AS INTEGER) BETWEEN 13 AND 54) AS female_13_54,
            sum(patients) FILTER (WHERE TRY_CAST(age AS INTEGER) BETWEEN 0 AND 12)  AS female_0_12
        FROM fem GROUP BY practice_code
    )
    SELECT $month AS month, q.practice_code,
           CAST(q.patients AS BIGINT) AS patients, CAST(q.female AS BIGINT) AS female, CAST(q.male AS BIGINT) AS male,
           CAST(q.aged_65_plus AS BIGINT) AS aged_65_plus, CAST(q.aged_75_plus AS BIGINT) AS aged_75_plus,
           CAST(q.aged_0_14 AS BIGINT) AS aged_0_14, CAST(q.aged_15_19 AS BIGINT) AS aged_15_19,
           CAST(f.female_13_54 AS BIGINT) AS female_13_54, CAST(f.female_0_12 AS BIGINT) AS female_0_12,
           $extract_date::DATE AS extract_date
    FROM quin_bands q LEFT JOIN fem_wide f USING (practice_code)
    ORDER BY q.practice_code
) TO $out_path (FORMAT parquet, COMPRESSION zstd);
