"""The toy's expectations: every row names a practice and a count."""

from pipelines.checks.gx_rules import rule_set


def expectations() -> list:
    return rule_set(
        "SELECT practice_code, vaccinated FROM {batch} WHERE ",
        [
            ("practice_code is given", "practice_code IS NULL OR practice_code = ''"),
            ("vaccinated is a count (0 or more)", "vaccinated IS NULL OR vaccinated < 0"),
        ],
    )
