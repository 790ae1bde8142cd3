"""PINCER's dm+d lists as a second check on a SNOMED-coded month: from November 2020 every EPD row carries
the dm+d code of what was dispensed (SNOMED_CODE). For each drug group that cites a PINCER list, the rows
the group holds by BNF code are set against the rows the list holds by dm+d code. A row on one side only is
either a difference the group declares (its `cites` in indicators/shared/drug_groups.yaml, with the
reason) or one nobody has looked at: a new product, a code NHSBSA moved, a PINCER concept the name match
missed. The asset check pincer_agreement warns on the second kind and names each (presentation, dm+d code,
items); it never stops a run, because the indicators follow the groups, not PINCER.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from indicators.catalogue import cited_lists, drug_groups
from indicators.model import Citation, ScopeDifference, expand
from pipelines.bnf import pincer
from pipelines.bnf.groups import group_members
from pipelines.sqlfiles import load_sql


@dataclass(frozen=True)
class Disagreement:
    group: str
    pincer_list: str
    side: str  # "group only" | "pincer only"
    bnf_code: str
    bnf_name: str
    snomed_code: str
    items: int
    declared: str | None  # the reason of the declared difference that covers it, if one does


@dataclass(frozen=True)
class Agreement:
    checked: bool  # False: the month carries no SNOMED codes
    disagreements: list[Disagreement] = field(default_factory=list)

    @property
    def undeclared(self) -> list[Disagreement]:
        return [d for d in self.disagreements if d.declared is None]

    @property
    def passed(self) -> bool:
        return not self.undeclared

    def description(self) -> str:
        if not self.checked:
            return "the month carries no SNOMED codes (EPD before November 2020): PINCER's dm+d lists not compared"
        declared = len(self.disagreements) - len(self.undeclared)
        head = (
            f"{len(self.undeclared):,} presentation x dm+d code pairs where a drug group and the PINCER list "
            f"it cites disagree without a declared reason ({declared:,} more are declared differences)"
        )
        listed = "; ".join(
            f"{d.group} vs pincer/{d.pincer_list}, {d.side}: {d.bnf_name} ({d.bnf_code}, dm+d "
            f"{d.snomed_code}, {d.items:,} items)"
            for d in self.undeclared[:8]
        )
        return head + (f": {listed}" if listed else "")


def _covering(differences: list[ScopeDifference], kind: str, code: str, name: str) -> str | None:
    for d in differences:
        if d.kind != kind:
            continue
        if (d.codes and expand(d.filters, [code])) or (d.names and re.search("(?i)" + d.names, name or "")):
            return d.reason
    return None


def pincer_agreement(prescribing: Path) -> Agreement:
    """The month's rows (lake prescribing parquet) compared group by group with the PINCER lists cited: one
    pass for the month's presentations, one for the rows a group or a list holds."""
    cites: list[tuple[str, Citation, str]] = [
        (name, c, pincer_list)
        for name, group in drug_groups().items()
        for c in group.cites
        if (pincer_list := cited_lists()[c.list].pincer)
    ]
    with duckdb.connect() as con:
        presentations = con.execute(load_sql("lake/presentations_coded"), {"p": str(prescribing)}).fetchall()
        if not any(coded for _, _, coded in presentations):
            return Agreement(checked=False)
        names = {code: name for code, name, _ in presentations}
        members = group_members(names, names, sorted({g for g, _, _ in cites}))
        con.register("cites", pl.DataFrame([(g, lst) for g, _, lst in cites], schema=["grp", "list"], orient="row"))
        con.register(
            "members",
            pl.DataFrame(
                [(g, c) for g in members for c in sorted(members[g])],
                schema={"grp": pl.String, "bnf_code": pl.String},
                orient="row",
            ),
        )
        con.register(
            "ids",
            pl.DataFrame(
                [(lst, i) for lst in sorted({lst for _, _, lst in cites}) for i in sorted(pincer.ids(lst))],
                schema={"list": pl.String, "snomed_code": pl.String},
                orient="row",
            ),
        )
        found = con.execute(load_sql("lake/pincer_agreement"), {"p": str(prescribing)}).fetchall()
    citation = {(g, lst): c for g, c, lst in cites}
    return Agreement(
        checked=True,
        disagreements=[
            Disagreement(
                g,
                lst,
                side,
                code,
                name or "",
                snomed,
                int(items),
                _covering(citation[(g, lst)].differences, "added" if side == "group only" else "left_out", code, name),
            )
            for g, lst, code, name, snomed, items, side in found
        ],
    )
