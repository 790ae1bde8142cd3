"""The cited sources' code lists (indicators/shared/cited_lists.yaml) as BNF presentations, each with the
presentations it can be compared on: an OpenPrescribing measure's published BNF filters or its dm+d rule
(resolved like a drug group) on every presentation of NHSBSA's two lists; a PINCER list on the 2024
list's presentations, the only ones whose names are dm+d's (pipelines/bnf/pincer.py)."""

from __future__ import annotations

import re
from functools import cache

from indicators.catalogue import cited_lists
from indicators.model import CodeFilter, expand
from pipelines.bnf import pincer
from pipelines.bnf.groups import IN, list_presentations, listed_codes, listed_members, resolve


@cache
def members(name: str) -> frozenset[str]:
    """The presentations a cited list holds."""
    cited = cited_lists()[name]
    if cited.pincer:
        return pincer.bnf_presentations(cited.pincer)
    if cited.rule is not None:
        return frozenset(r["bnf_code"] for r in resolve(cited.rule).to_dicts() if r["status"] == IN)
    return frozenset(expand([CodeFilter.parse(c) for c in cited.codes], listed_codes()))


def comparable(name: str) -> frozenset[str]:
    """The presentations a comparison with this cited list is made on."""
    if cited_lists()[name].pincer:
        return pincer.comparable()
    return _all()


@cache
def _all() -> frozenset[str]:
    return frozenset(listed_codes())


def provenance(name: str) -> str:
    """Where the list comes from, in one line (for the Definitions sheet and `msi indicators show`)."""
    cited = cited_lists()[name]
    if cited.pincer:
        return (
            f"OpenSAFELY PINCER list {pincer.version(cited.pincer)} "
            f"(opensafely/pincer-measures, codelists/pincer-{cited.pincer}.csv)"
        )
    return f"OpenPrescribing measure {cited.measure} ({cited.repository} @ {cited.commit}: {cited.path})"


@cache
def presentation_names() -> dict[str, str]:
    """BNF code -> its names in both lists, joined (every presentation of NHSBSA's lists)."""
    frame = list_presentations()
    return dict(zip(frame["bnf_code"].to_list(), frame["names"].to_list()))


def differences(ours: frozenset[str] | set[str], theirs: list[str], declared: list) -> list[tuple[str, str, list[str]]]:
    """Our presentations against a source's list (filters as a cited_scope's `theirs`: BNF patterns or
    @cited lists), on the presentations the source can be compared on: (kind, reason, codes) for each
    declared difference with the presentations it covers, then ("added"/"left_out", "not declared", codes)
    for any left over (tests/reference/test_cited_scopes.py keeps that empty)."""
    parsed = [CodeFilter.parse(f) for f in theirs]
    named = [f.pattern for f in parsed if f.kind == "group"]
    names = presentation_names()
    codes = listed_codes()
    comparable_codes = set(_all()).intersection(*(comparable(n) for n in named if n in cited_lists()))
    groups = {n: set(members(n)) if n in cited_lists() else set(listed_members(n)) for n in named}
    theirs_codes = set(expand(parsed, codes, groups)) & comparable_codes
    ours = set(ours) & comparable_codes
    out = []
    for kind, side in (("added", ours - theirs_codes), ("left_out", theirs_codes - ours)):
        left = set(side)
        for d in (d for d in declared if d.kind == kind):
            by_code = set(expand(d.filters, codes)) & side if d.codes else set()
            by_name = {c for c in side if d.names and re.search("(?i)" + d.names, names.get(c, ""))}
            covered = sorted(side & (by_code | by_name))
            out.append((kind, d.reason, covered))
            left -= set(covered)
        if left:
            out.append((kind, "not declared", sorted(left)))
    return out
