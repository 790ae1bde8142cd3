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
    "quin_rows": ["line", "org_code", "sex", "age", "patients", "published", "parts"],
    "female_rows": ["line", "org_code", "sex", "age", "patients", "published", "parts"],
    "map_rows": ["line", "practice_code", "pcn_code", "sub_icb_code", "icb_code", "region_code"],
}
LIST_SIZE_COLUMNS = "line, org_code, sex, age, patients"


def _not(pattern: str, column: str) -> str:
    """Rows whose `column` is missing or does not match `pattern` exactly."""
    return f"NOT regexp_full_match(coalesce({column}, ''), '({pattern})')"


SAME_EXTRACT = ("EXTRACT_DATE is the same on every row", "extract_date IS DISTINCT FROM first_extract_date")


def _one_row_per(key: str, what: str, columns: str) -> object:
    return row_rule(
        f"one row per {what}",
        f"SELECT {columns} FROM (SELECT *, count(*) OVER (PARTITION BY {key}) AS copies FROM {{batch}}) "
        f"WHERE copies > 1 ORDER BY {key}, line",
    )  # each repeat beside its first


def _adds_up(what: str, total: str, parts: str, key: str, wrong: str = "p.parts IS DISTINCT FROM t.total") -> object:
    """Each practice's total row (the rows WHERE `total`) against the sum of its parts (the rows WHERE
    `parts`, p.n of them), matched on `key`: the total rows for which `wrong` holds."""
    return row_rule(
        what,
        "SELECT t.line, t.org_code, t.sex, t.age, t.patients AS published, p.parts FROM "
        "(SELECT *, TRY_CAST(patients AS BIGINT) AS total FROM {batch} WHERE " + total + ") t JOIN "
        "(SELECT " + key + ", sum(TRY_CAST(patients AS BIGINT)) AS parts, count(*) AS n FROM {batch} "
        "WHERE " + parts + " GROUP BY ALL) p USING (" + key + ") WHERE " + wrong + " ORDER BY t.line",
    )


def _list_size_expectations(sex: tuple[str, str], age: tuple[str, str], key: tuple[str, str]) -> list:
    """What every row of a list-size file must meet. Each argument is (the rule in words, its SQL): `sex`
    the valid SEX values, `age` the pattern of the age column, `key` what identifies a row."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1, description="the file lists GP practices (ORG_TYPE GP)"),
        *rule_set(
            f"SELECT {LIST_SIZE_COLUMNS} FROM {{batch}} WHERE ",
            [
                SAME_EXTRACT,
                ("ORG_CODE is a GP practice code (a letter and five digits)", _not(PRACTICE_CODE, "org_code")),
                (sex[0], f"sex IS NULL OR sex NOT IN ({sex[1]})"),
                (age[0], _not(age[1], "age")),
                ("NUMBER_OF_PATIENTS is a whole number, not negative", _not("[0-9]+", "patients")),
                (
                    f"NUMBER_OF_PATIENTS is at most {MAX_PATIENTS:,} (the largest real practice list is 108,789)",
                    f"regexp_full_match(coalesce(patients, ''), '[0-9]+') "
                    f"AND TRY_CAST(patients AS DOUBLE) > {MAX_PATIENTS}",
                ),
            ],
        ),
        _one_row_per(key[1], key[0], LIST_SIZE_COLUMNS),
    ]


def quin_expectations() -> list:
    return [
        *_list_size_expectations(
            ("SEX is ALL, MALE or FEMALE", "'ALL', 'MALE', 'FEMALE'"),
            ("AGE_GROUP_5 is a five-year band (0_4 to 90_94, 95+) or ALL", BANDS),
            ("practice x SEX x AGE_GROUP_5", "org_code, sex, age"),
        ),
        _adds_up(
            "each sex's age bands add up to its total (AGE_GROUP_5 ALL)", "age = 'ALL'", "age <> 'ALL'", "org_code, sex"
        ),
        _adds_up(
            f"MALE + FEMALE add up to the total (SEX ALL), short of it by at most {SEX_GAP_PATIENTS} patients or "
            f"{SEX_GAP_SHARE:.1%}",
            "sex = 'ALL' AND age = 'ALL'",
            "sex IN ('MALE', 'FEMALE') AND age = 'ALL'",
            "org_code",
            f"p.n = 2 AND (p.parts > t.total OR t.total - p.parts > greatest({SEX_GAP_PATIENTS}, "
            f"{SEX_GAP_SHARE} * t.total))",
        ),
    ]


def female_expectations() -> list:
    return [
        *_list_size_expectations(
            ("SEX is FEMALE", "'FEMALE'"),
            ("AGE is a single year (0 to 94, 95+) or ALL", SINGLE_AGES),
            ("practice x AGE", "org_code, age"),
        ),
        _adds_up(
            "the single years of age add up to the practice's total (AGE ALL)",
            "age = 'ALL'",
            "age <> 'ALL'",
            "org_code",
        ),
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
    icb = _in_set("icb_code", codes) if codes is not None else _not(pattern or "", "icb_code")

    def one_parent(child: str, parent: str, words: str):
        return row_rule(
            words,
            f"SELECT {columns} FROM (SELECT *, min({parent}) OVER w <> max({parent}) OVER w AS split "
            f"FROM {{batch}} WINDOW w AS (PARTITION BY {child})) WHERE split ORDER BY line",
        )

    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1, description="the map lists GP practices"),
        *rule_set(
            rows,
            [
                SAME_EXTRACT,
                (
                    "PRACTICE_CODE is a GP practice code (a letter and five digits)",
                    _not(PRACTICE_CODE, "practice_code"),
                ),
                (
                    "PCN_CODE is 'U' and five digits, 'U' (no PCN) or blank",
                    "pcn_code IS NOT NULL AND " + _not(PCN_CODE, "pcn_code"),
                ),
                ("the sub-ICB (CCG) code has 3 or 5 letters and digits", _not(SUB_ICB_CODE, "sub_icb_code")),
                (f"the ICB (STP) code is one of {used}", icb),
                ("COMM_REGION_CODE is one of the 7 NHS England regions", _in_set("region_code", regions)),
            ],
        ),
        _one_row_per(
            "practice_code", "practice (a practice listed twice would count twice, perhaps in two ICBs)", columns
        ),
        one_parent("sub_icb_code", "icb_code", "each sub-ICB (CCG) lies in one ICB (STP)"),
        one_parent("icb_code", "region_code", "each ICB (STP) lies in one region"),
    ]
