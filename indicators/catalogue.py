"""Load and validate the indicator catalogue (every *.yaml file in this folder)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from indicators.model import Indicator

CATALOGUE_DIR = Path(__file__).resolve().parent


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


def load_catalogue(folder: Path = CATALOGUE_DIR, grain: str | None = None) -> dict[str, Indicator]:
    out: dict[str, Indicator] = {}
    for path in sorted(folder.glob("*.yaml")):
        indicator = load_file(path)
        if grain is None or indicator.grain == grain:
            out[indicator.id] = indicator
    if not out:
        raise CatalogueError(f"no indicator definitions in {folder}")
    return out


@cache
def catalogue() -> dict[str, Indicator]:
    return load_catalogue()
