"""Drug groups in words (pipelines/indicators/describe.py), as the workbooks' Definitions sheet and
`msi indicators show` print them."""

from indicators.catalogue import drug_groups
from pipelines.bnf.groups import resolved
from pipelines.indicators.describe import group_text


def _added_in_code_order(name: str) -> list[str]:
    """The group's `include` reasons, each with how many presentations it adds, in the order of the first
    presentation each adds (NHSBSA's codes, sorted), counted here row by row."""
    counts: dict[str, int] = {}
    for reason in resolved(name).sort("bnf_code")["reason"].to_list():
        if reason and reason.startswith("added: "):
            counts[reason] = counts.get(reason, 0) + 1
    return [f"Added, {n:,}: {reason.removeprefix('added: ')}" for reason, n in counts.items()]


def test_what_a_group_adds_is_said_in_code_order_and_the_same_on_every_run():
    # polars gives a group_by's groups in any order unless told to keep it: the Definitions sheet of the same
    # month's workbooks differed from one run to the next (gastroprotection's Pepcidtwo and HeliClear lines).
    several = [name for name in drug_groups() if len(_added_in_code_order(name)) > 1]
    assert "gastroprotection" in several
    for name in several:
        expected = _added_in_code_order(name)
        for _ in range(8):  # uncached: a text built again must not change
            text = group_text.__wrapped__(name)
            assert [line for line in text.splitlines() if line.startswith("Added, ")] == expected, name
