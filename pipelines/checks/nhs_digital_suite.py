"""The expectations every NHS Digital file must meet before anything of its month is published: the
quinary-age and single-year-female list sizes and the practice map, each checked row by row as published
(text, with its line number in the file) once staged.

What the rules rest on, checked against the real files in research/data/real/nhs_digital/:
* GP practice codes are a letter and five digits (all 6,708 practices of the September 2020 map and all
  6,527 of January 2022);
* PCN codes are 'U' and five digits, or 'U' alone for a practice in no PCN (both real maps);
* sub-ICB (CCG) codes are 3 characters or, for CCGs formed from 2021, 5 (X2C4Y, A3A8R, ... in Jan 2022);
  every sub-ICB lies in one ICB and every ICB in one region (both real maps);
* each sex's age bands add up to its total, and MALE + FEMALE to the total (the real September 2017
  quinary-age file, every practice, exactly). Whether later files count patients of indeterminate sex in
  the total only is UNVERIFIED, so the sexes may fall short of the total by a little (SEX_GAP), never
  exceed it;
* the largest practice list in the real files is 108,789 (E85124, January 2022, of 6,527 practices);
  MAX_PATIENTS allows for growth and mergers, and refuses the orders of magnitude a damaged file gives.
"""

from __future__ import annotations

from pipelines.checks.gx_rules import row_rule, rule_set
from pipelines.sqlfiles import sql_literal

MAX_PATIENTS = 300_000  # ~2.75 x the largest real practice list (108,789)
SEX_GAP_PATIENTS, SEX_GAP_SHARE = 10, 0.005  # how far MALE + FEMALE may fall short of the total

PRACTICE_CODE = "[A-Z][0-9]{{5}}"
SUB_ICB_CODE = "[A-Z0-9]{{3}}|[A-Z0-9]{{5}}"
PCN_CODE = "U[0-9]{{5}}|U"
BANDS = "|".join(f"{age}_{age + 4}" for age in range(0, 95, 5)) + "|95\\+|ALL"
SINGLE_AGES = "[0-9]|[1-8][0-9]|9[0-4]|95\\+|ALL"

# The columns that name a refused row in the one-line message (the file's line number first).
NAMING = {
    "quin_rows": ["line", "org_code", "sex", "age_group", "patients", "published", "bands", "sexes"],
    "female_rows": ["line", "org_code", "sex", "age", "patients", "published", "ages"],
    "map_rows": ["line", "practice_code", "pcn_code", "sub_icb_code", "icb_code", "region_code"],
}


def _not(pattern: str, column: str) -> str:
    """Rows whose `column` is missing or does not match `pattern` exactly."""
    return f"NOT regexp_full_match(coalesce({column}, ''), '({pattern})')"


def _counts(column: str = "patients") -> list[tuple[str, str]]:
    return [
        ("NUMBER_OF_PATIENTS is a whole number, not negative", _not("[0-9]+", column)),
        (f"NUMBER_OF_PATIENTS is at most {MAX_PATIENTS:,} (the largest real practice list is 108,789)",
         f"regexp_full_match(coalesce({column}, ''), '[0-9]+') AND TRY_CAST({column} AS DOUBLE) > {MAX_PATIENTS}"),
    ]


SAME_EXTRACT = ("EXTRACT_DATE is the same on every row",
                "extract_date IS DISTINCT FROM first_extract_date")


def _one_row_per(key: str, what: str, columns: str) -> object:
    return row_rule(f"one row per {what}",
                    f"SELECT {columns} FROM (SELECT *, count(*) OVER (PARTITION BY {key}) AS copies FROM {{batch}}) "
                    f"WHERE copies > 1 ORDER BY {key}, line")  # each repeat beside its first


def quin_expectations() -> list:
    import great_expectations.expectations as gxe

    columns = "line, org_code, sex, age_group, patients"
    rows = f"SELECT {columns} FROM {{batch}} WHERE "
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1, description="the file lists GP practices (ORG_TYPE GP)"),
        *rule_set(rows, [
            SAME_EXTRACT,
            ("ORG_CODE is a GP practice code (a letter and five digits)", _not(PRACTICE_CODE, "org_code")),
            ("SEX is ALL, MALE or FEMALE", "sex IS NULL OR sex NOT IN ('ALL', 'MALE', 'FEMALE')"),
            ("AGE_GROUP_5 is a five-year band (0_4 to 90_94, 95+) or ALL", _not(BANDS, "age_group")),
            *_counts(),
        ]),
        _one_row_per("org_code, sex, age_group", "practice x SEX x AGE_GROUP_5", columns),
        row_rule("each sex's age bands add up to its total (AGE_GROUP_5 ALL)",
                 f"SELECT t.line, t.org_code, t.sex, t.age_group, t.patients AS published, b.bands "
                 "FROM (SELECT * FROM {batch} WHERE age_group = 'ALL') t JOIN "
                 "(SELECT org_code, sex, sum(TRY_CAST(patients AS BIGINT)) AS bands FROM {batch} "
                 "WHERE age_group <> 'ALL' GROUP BY ALL) b USING (org_code, sex) "
                 "WHERE b.bands IS DISTINCT FROM TRY_CAST(t.patients AS BIGINT) ORDER BY t.line"),
        row_rule(f"MALE + FEMALE add up to the total (SEX ALL), short of it by at most {SEX_GAP_PATIENTS} patients or "
                 f"{SEX_GAP_SHARE:.1%}",
                 "SELECT t.line, t.org_code, t.sex, t.age_group, t.patients AS published, s.sexes "
                 "FROM (SELECT * FROM {batch} WHERE sex = 'ALL' AND age_group = 'ALL') t JOIN "
                 "(SELECT org_code, sum(TRY_CAST(patients AS BIGINT)) AS sexes, count(*) AS n FROM {batch} "
                 "WHERE sex IN ('MALE', 'FEMALE') AND age_group = 'ALL' GROUP BY ALL) s USING (org_code) "
                 "WHERE s.n = 2 AND (s.sexes > TRY_CAST(t.patients AS BIGINT) OR TRY_CAST(t.patients AS BIGINT) - s.sexes "
                 f"> greatest({SEX_GAP_PATIENTS}, {SEX_GAP_SHARE} * TRY_CAST(t.patients AS BIGINT))) ORDER BY t.line"),
    ]


def female_expectations() -> list:
    import great_expectations.expectations as gxe

    columns = "line, org_code, sex, age, patients"
    rows = f"SELECT {columns} FROM {{batch}} WHERE "
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1, description="the file lists GP practices (ORG_TYPE GP)"),
        *rule_set(rows, [
            SAME_EXTRACT,
            ("ORG_CODE is a GP practice code (a letter and five digits)", _not(PRACTICE_CODE, "org_code")),
            ("SEX is FEMALE", "sex IS DISTINCT FROM 'FEMALE'"),
            ("AGE is a single year (0 to 94, 95+) or ALL", _not(SINGLE_AGES, "age")),
            *_counts(),
        ]),
        _one_row_per("org_code, age", "practice x AGE", columns),
        row_rule("the single years of age add up to the practice's total (AGE ALL)",
                 "SELECT t.line, t.org_code, t.sex, t.age, t.patients AS published, a.ages "
                 "FROM (SELECT * FROM {batch} WHERE age = 'ALL') t JOIN "
                 "(SELECT org_code, sum(TRY_CAST(patients AS BIGINT)) AS ages FROM {batch} "
                 "WHERE age <> 'ALL' GROUP BY ALL) a USING (org_code) "
                 "WHERE a.ages IS DISTINCT FROM TRY_CAST(t.patients AS BIGINT) ORDER BY t.line"),
    ]


def _in_set(column: str, codes: list[str]) -> str:
    # The codes are the project's own reference data (reference/*.csv), not the file's.
    return f"{column} IS NULL OR {column} NOT IN ({', '.join(sql_literal(c) for c in codes)})"


def map_expectations(icb_rule: tuple[str, list[str] | None, str | None], regions: list[str]) -> list:
    """`icb_rule`: the era's check of the ICB (STP) column, as for the EPD (pipelines/reference.py)."""
    import great_expectations.expectations as gxe

    columns = "line, practice_code, pcn_code, sub_icb_code, icb_code, region_code"
    rows = f"SELECT {columns} FROM {{batch}} WHERE "
    used, codes, pattern = icb_rule
    icb = _in_set("icb_code", codes) if codes is not None else _not(pattern, "icb_code")

    def one_parent(child: str, parent: str, words: str):
        return row_rule(words, f"SELECT {columns} FROM (SELECT *, min({parent}) OVER w <> max({parent}) OVER w AS split "
                               f"FROM {{batch}} WINDOW w AS (PARTITION BY {child})) WHERE split ORDER BY line")

    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1, description="the map lists GP practices"),
        *rule_set(rows, [
            SAME_EXTRACT,
            ("PRACTICE_CODE is a GP practice code (a letter and five digits)", _not(PRACTICE_CODE, "practice_code")),
            ("PCN_CODE is 'U' and five digits, 'U' (no PCN) or blank",
             "pcn_code IS NOT NULL AND " + _not(PCN_CODE, "pcn_code")),
            ("the sub-ICB (CCG) code has 3 or 5 letters and digits", _not(SUB_ICB_CODE, "sub_icb_code")),
            (f"the ICB (STP) code is one of {used}", icb),
            ("COMM_REGION_CODE is one of the 7 NHS England regions", _in_set("region_code", regions)),
        ]),
        _one_row_per("practice_code", "practice (a practice listed twice would count twice, perhaps in two ICBs)",
                     columns),
        one_parent("sub_icb_code", "icb_code", "each sub-ICB (CCG) lies in one ICB (STP)"),
        one_parent("icb_code", "region_code", "each ICB (STP) lies in one region"),
    ]
