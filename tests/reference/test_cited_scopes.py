"""Each indicator's code lists against the lists of the sources it cites (OpenPrescribing measures, PINCER
code lists), as declared in its `cited_scope`: both sides resolved on every presentation of NHSBSA's two real
BNF lists, every presentation on one side only must be covered by a declared difference of its kind (added:
ours only; left_out: theirs only), and every declaration must cover at least one. A change to a drug group
or a code list that moves a presentation across a source's line without saying why fails here."""

import pytest

from indicators.catalogue import catalogue, cited_lists, drug_groups
from indicators.model import CodeFilter, expand
from pipelines.bnf.groups import IN, list_presentations, resolve

CODES = sorted(list_presentations()["bnf_code"].to_list())
NAMES = dict(zip(list_presentations()["bnf_code"].to_list(), list_presentations()["names"].to_list()))
SCOPES = [(i.id, n, s) for i in catalogue().values() for n, s in enumerate(i.cited_scope)]


def _members() -> dict[str, set[str]]:
    lists = {**drug_groups(), **cited_lists()}
    return {name: {r["bnf_code"] for r in resolve(g).to_dicts() if r["status"] == IN} for name, g in lists.items()}


MEMBERS = _members()


def _expand(filters: list[str]) -> set[str]:
    return set(expand([CodeFilter.parse(f) for f in filters], CODES, MEMBERS))


def _ours(indicator, which: str) -> set[str]:
    if which.startswith("@"):
        return MEMBERS[which[1:]]
    if which.startswith("component_"):
        return _expand(indicator.numerator.components[int(which.split("_")[1]) - 1].codes)
    return _expand(getattr(indicator, which).codes)


def _covered(difference, codes: set[str]) -> set[str]:
    by_code = _expand(difference.codes) if difference.codes else set()
    import re

    by_name = {c for c in codes if difference.names and re.search("(?i)" + difference.names, NAMES.get(c, ""))}
    return codes & (by_code | by_name)


def test_every_cited_scope_names_a_source_of_its_definition():
    assert len(SCOPES) >= 15
    for ind_id, _, scope in SCOPES:
        assert any(scope.source in s.name for s in catalogue()[ind_id].sources), (ind_id, scope.source)


@pytest.mark.parametrize("ind_id, n, scope", SCOPES, ids=[f"{i}-{n}" for i, n, _ in SCOPES])
def test_every_difference_from_a_cited_source_is_declared(ind_id, n, scope):
    ours, theirs = _ours(catalogue()[ind_id], scope.ours), _expand(scope.theirs)
    assert ours and theirs
    for kind, side in (("added", ours - theirs), ("left_out", theirs - ours)):
        declared = [d for d in scope.differences if d.kind == kind]
        covered = set().union(*(_covered(d, side) for d in declared)) if declared else set()
        undeclared = sorted(side - covered)
        assert not undeclared, (kind, [(c, NAMES.get(c)) for c in undeclared[:8]], len(undeclared))
        for d in declared:
            assert _covered(d, side), (kind, d.reason[:60], "covers no difference")
