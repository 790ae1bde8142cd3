"""Load and validate the indicator catalogue (every *.yaml file in this folder)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from indicators.model import CodeSet, Indicator

CATALOGUE_DIR = Path(__file__).resolve().parent
DRUG_GROUPS_FILE = CATALOGUE_DIR / "shared" / "drug_groups.yaml"


class CatalogueError(ValueError):
    """A definition file is invalid; the message names the file and the problem."""


def load_file(path: Path) -> Indicator:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
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


def load_drug_groups(path: Path = DRUG_GROUPS_FILE) -> dict[str, CodeSet]:
    """The named drug groups that patient-level rules refer to."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = {}
    for name, body in data.items():
        try:
            out[name] = CodeSet.model_validate(body)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors())
            raise CatalogueError(f"{path.name}: group {name}: {problems}") from None
    return out


def load_catalogue(folder: Path = CATALOGUE_DIR, grain: str | None = None) -> dict[str, Indicator]:
    out: dict[str, Indicator] = {}
    groups = load_drug_groups(folder / "shared" / "drug_groups.yaml") if (folder / "shared").is_dir() else {}
    for path in sorted(folder.glob("*.yaml")):
        indicator = load_file(path)
        rules = [indicator.numerator.patients, indicator.denominator.patients if indicator.denominator else None]
        unknown = sorted({g for r in rules if r for g in r.groups} - set(groups))
        if unknown:
            raise CatalogueError(f"{path.name}: drug groups {unknown} are not in shared/drug_groups.yaml")
        if grain is None or indicator.grain == grain:
            out[indicator.id] = indicator
    if not out:
        raise CatalogueError(f"no indicator definitions in {folder}")
    return out


@cache
def catalogue() -> dict[str, Indicator]:
    return load_catalogue()


@cache
def drug_groups() -> dict[str, CodeSet]:
    return load_drug_groups()
