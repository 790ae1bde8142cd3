"""Load and validate the indicator catalogue (every *.yaml file in this folder)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from indicators.model import CitedList, CodeFilter, DrugGroup, Indicator

CATALOGUE_DIR = Path(__file__).resolve().parent
DRUG_GROUPS_FILE = CATALOGUE_DIR / "shared" / "drug_groups.yaml"
# Cited sources' lists that are not published as BNF codes (PINCER's dm+d lists, OpenPrescribing's dm+d
# opioid table), described by ingredient in the drug groups' terms, for comparison only.
CITED_LISTS_FILE = CATALOGUE_DIR / "shared" / "cited_lists.yaml"


# libyaml's parser when PyYAML was built with it (its wheels are): the same safe constructor, ~8 x faster than
# the pure-Python one, which took ~0.8 s of every run's start reading the catalogue.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CatalogueError(ValueError):
    """A definition file is invalid; the message names the file and the problem."""


def load_file(path: Path) -> Indicator:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogueError(f"{path.name}: expected a mapping of fields")
    try:
        indicator = Indicator.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise CatalogueError(f"{path.name}: {problems}") from None
    if indicator.id != path.stem:
        raise CatalogueError(f"{path.name}: id {indicator.id!r} must match the file name")
    return indicator


def _load_named(path: Path, model, what: str) -> dict:
    """A YAML file of named definitions, each validated; an invalid one is refused naming file and entry."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
    out = {}
    for name, body in data.items():
        try:
            out[name] = model.model_validate(body)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors())
            raise CatalogueError(f"{path.name}: {what} {name}: {problems}") from None
    return out


def load_drug_groups(path: Path = DRUG_GROUPS_FILE) -> dict[str, DrugGroup]:
    """The named drug groups, defined by ingredient, that code lists (@name) and patient-level rules use."""
    return _load_named(path, DrugGroup, "group")


def load_catalogue(folder: Path = CATALOGUE_DIR, grain: str | None = None) -> dict[str, Indicator]:
    out: dict[str, Indicator] = {}
    groups = load_drug_groups(folder / "shared" / "drug_groups.yaml") if (folder / "shared").is_dir() else {}
    cited = load_cited_lists(folder / "shared" / "cited_lists.yaml") if groups else {}
    for name, group in groups.items():
        unknown = sorted({c.list for c in group.cites} - set(cited))
        if unknown:
            raise CatalogueError(f"drug_groups.yaml: group {name} cites {unknown}, which shared/cited_lists.yaml lacks")
    for path in sorted(folder.glob("*.yaml")):
        indicator = load_file(path)
        rules = [indicator.numerator.patients, indicator.denominator.patients if indicator.denominator else None]
        unknown = sorted(({g for r in rules if r for g in r.groups} | group_references(indicator)) - set(groups))
        if unknown:
            raise CatalogueError(f"{path.name}: drug groups {unknown} are not in shared/drug_groups.yaml")
        theirs = {
            f.pattern
            for scope in indicator.cited_scope
            for f in map(CodeFilter.parse, scope.theirs)
            if f.kind == "group"
        }
        if theirs - set(cited) - set(groups):
            raise CatalogueError(
                f"{path.name}: cited_scope names {sorted(theirs - set(cited) - set(groups))}, "
                "neither a cited list nor a drug group"
            )
        if grain is None or indicator.grain == grain:
            out[indicator.id] = indicator
    if not out:
        raise CatalogueError(f"no indicator definitions in {folder}")
    return out


def code_lists(indicator: Indicator) -> list[list[str]]:
    """Every code list of a definition: the numerator's (or each component's) and the denominator's."""
    lists = [c.codes for c in indicator.numerator.components or []] + [indicator.numerator.codes or []]
    return lists + [indicator.denominator.codes or []] if indicator.denominator else lists


def group_references(indicator: Indicator) -> set[str]:
    """The drug groups (@name) a definition's code lists use."""
    return {f.pattern for codes in code_lists(indicator) for f in map(CodeFilter.parse, codes) if f.kind == "group"}


@cache
def catalogue() -> dict[str, Indicator]:
    return load_catalogue()


@cache
def drug_groups() -> dict[str, DrugGroup]:
    return load_drug_groups()


def load_cited_lists(path: Path = CITED_LISTS_FILE) -> dict[str, CitedList]:
    """The code lists of the sources indicators cite (shared/cited_lists.yaml), named for `@name` in a
    cited_scope's `theirs` and a group's `cites`."""
    return _load_named(path, CitedList, "list")


@cache
def cited_lists() -> dict[str, CitedList]:
    return load_cited_lists()
