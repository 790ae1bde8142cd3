"""Every claim that a code list follows a cited source, tested: each drug group's `cites` and each indicator's
`cited_scope` against the source's own list (indicators/shared/cited_lists.yaml: OpenPrescribing's
published BNF filters with the commit they were read at, or OpenSAFELY's PINCER dm+d lists as published).
Both sides are resolved on the presentations the source can be compared on (every presentation of NHSBSA's
two lists; for a PINCER list, the 2024 list, whose names are dm+d's). Every presentation on one side only
must be covered by a declared difference of its kind (added: ours only; left_out: theirs only), and every
declaration must cover at least one. A change to a group or a code list that moves a presentation across a
source's line without saying why fails here, and so does a source's list that changes under us."""

import re

import pytest

from indicators.catalogue import catalogue, cited_lists, drug_groups
from indicators.model import CodeFilter, expand
from pipelines.bnf import cited
from pipelines.bnf.groups import list_presentations, listed_members

CODES = sorted(list_presentations()["bnf_code"].to_list())
NAMES = dict(zip(list_presentations()["bnf_code"].to_list(), list_presentations()["names"].to_list()))
GROUPS = drug_groups()
MEMBERS = {**{n: set(listed_members(n)) for n in GROUPS}, **{n: set(cited.members(n)) for n in cited_lists()}}

SCOPES = [
    (f"{i.id}-{n}", i, s.ours, s.theirs, s.differences)
    for i in catalogue().values()
    for n, s in enumerate(i.cited_scope)
]
CITES = [
    (f"{g}-{c.list}", None, f"@{g}", [f"@{c.list}"], c.differences) for g, group in GROUPS.items() for c in group.cites
]


def _expand(filters: list[str]) -> set[str]:
    return set(expand([CodeFilter.parse(f) for f in filters], CODES, MEMBERS))


def _ours(indicator, which: str) -> set[str]:
    if which.startswith("@"):
        return MEMBERS[which[1:]]
    if which.startswith("component_"):
        return _expand(indicator.numerator.components[int(which.split("_")[1]) - 1].codes)
    return _expand(getattr(indicator, which).codes)


def _comparable(theirs: list[str]) -> set[str]:
    named = [f.pattern for f in map(CodeFilter.parse, theirs) if f.kind == "group" and f.pattern in cited_lists()]
    out = set(CODES)
    for name in named:
        out &= cited.comparable(name)
    return out


def _covered(difference, codes: set[str]) -> set[str]:
    by_code = _expand(difference.codes) if difference.codes else set()
    by_name = {c for c in codes if difference.names and re.search("(?i)" + difference.names, NAMES.get(c, ""))}
    return codes & (by_code | by_name)


def test_every_cited_scope_names_a_source_of_its_definition():
    assert len(SCOPES) >= 10
    for _, indicator, _, _, _ in SCOPES:
        for scope in indicator.cited_scope:
            assert any(scope.source in s.name for s in indicator.sources), (indicator.id, scope.source)


def test_every_group_that_says_it_follows_a_source_cites_it():
    """A group whose description names PINCER or OpenPrescribing has that source's list as data."""
    for name, group in GROUPS.items():
        says = {"pincer": "PINCER" in group.description, "openprescribing": "OpenPrescribing" in group.description}
        cited_sources = {cited_lists()[c.list].source for c in group.cites}
        for source, said in says.items():
            assert not said or source in cited_sources, (name, source)


@pytest.mark.parametrize(
    "label, indicator, ours_spec, theirs, differences", SCOPES + CITES, ids=[s[0] for s in SCOPES + CITES]
)
def test_every_difference_from_a_cited_source_is_declared(label, indicator, ours_spec, theirs, differences):
    comparable = _comparable(theirs)
    ours, theirs_codes = _ours(indicator, ours_spec) & comparable, _expand(theirs) & comparable
    assert ours and theirs_codes
    for kind, side in (("added", ours - theirs_codes), ("left_out", theirs_codes - ours)):
        declared = [d for d in differences if d.kind == kind]
        covered = set().union(*(_covered(d, side) for d in declared)) if declared else set()
        undeclared = sorted(side - covered)
        assert not undeclared, (kind, [(c, NAMES.get(c)) for c in undeclared[:12]], len(undeclared))
        for d in declared:
            assert _covered(d, side), (kind, d.reason[:60], "covers no difference")
