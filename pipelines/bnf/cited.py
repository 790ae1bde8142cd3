"""The cited sources' code lists (indicators/shared/cited_lists.yaml) as BNF presentations, each with the
presentations it can be compared on: an OpenPrescribing measure's published BNF filters or its dm+d rule
(resolved like a drug group) on every presentation of NHSBSA's two lists; a PINCER list on the 2024
list's presentations, the only ones whose names are dm+d's (pipelines/bnf/pincer.py)."""

from __future__ import annotations

from functools import cache

from indicators.catalogue import cited_lists
from indicators.model import CodeFilter, expand
from pipelines.bnf import pincer
from pipelines.bnf.groups import IN, list_presentations, resolve


@cache
def members(name: str) -> frozenset[str]:
    """The presentations a cited list holds."""
    cited = cited_lists()[name]
    if cited.pincer:
        return pincer.bnf_presentations(cited.pincer)
    if cited.rule is not None:
        return frozenset(r["bnf_code"] for r in resolve(cited.rule).to_dicts() if r["status"] == IN)
    codes = list_presentations()["bnf_code"].to_list()
    return frozenset(expand([CodeFilter.parse(c) for c in cited.codes], codes))


def comparable(name: str) -> frozenset[str]:
    """The presentations a comparison with this cited list is made on."""
    if cited_lists()[name].pincer:
        return pincer.comparable()
    return frozenset(list_presentations()["bnf_code"].to_list())


def provenance(name: str) -> str:
    """Where the list comes from, in one line (for the Definitions sheet and `msi indicators show`)."""
    cited = cited_lists()[name]
    if cited.pincer:
        return (f"OpenSAFELY PINCER list {pincer.version(cited.pincer)} "
                f"(opensafely/pincer-measures, codelists/pincer-{cited.pincer}.csv)")
    return f"OpenPrescribing measure {cited.measure} ({cited.repository} @ {cited.commit}: {cited.path})"
