"""The files msi reads that travel with it: `sql/` (every DuckDB statement) and `reference/` (code lists, OME
factors, organisations). In a source checkout they are the top-level folders; an installed wheel carries them
inside the `pipelines` package (pyproject.toml: force-include), where importlib.resources finds them. The
indicator catalogue is a package of its own (`indicators/`), installed with its YAML files."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resource_dir(name: str) -> Path:
    """`sql` or `reference`: inside the installed package when it is there, else beside it (a source checkout)."""
    package = Path(str(files("pipelines")))
    installed = package / name
    return installed if installed.is_dir() else package.parent / name
