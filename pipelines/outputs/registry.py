"""Every output of a month, declared once: the Dagster asset it is, and the function that writes it from the
month's one Analysis (pipelines/outputs/analysis.py). The outputs step (pipelines/wiring/assets/outputs.py)
is made from this list: each entry becomes an asset of the `outputs` group, refreshed for the newest month
after `indicator_values` (its automation condition), written by its function and described by its summary.

A new output (a PCN briefing, say) is a module under pipelines/outputs/ with a function `Analysis -> dict`
and a line here; tests/outputs/test_registry.py adds one and runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipelines.outputs.analysis import Analysis
from pipelines.outputs.extracts import extracts_in_steps, write_extracts
from pipelines.outputs.parallel import Steps
from pipelines.outputs.report.site import build_site, site_in_steps


@dataclass(frozen=True)
class Output:
    asset: str  # the Dagster asset key
    kinds: frozenset[str]  # what the UI shows it as
    description: str
    write: Callable[[Analysis], dict]  # writes the month's files; returns what it wrote
    summary: Callable[[dict], dict]  # the asset's metadata from what `write` returned (a Path shows as a path)
    optional: bool = False  # left out by `msi run --no-report`
    # The same in steps, for an output that forks workers: the next output is prepared while they write
    # (pipelines/outputs/parallel.py, `overlapped`).
    steps: Callable[[Analysis], Steps] | None = None

    def in_steps(self, analysis: Analysis) -> Steps:
        """Its steps; an output written by one function is written while being prepared."""
        if self.steps is not None:
            return self.steps(analysis)
        return _at_once(self.write, analysis)


def _at_once(write: Callable[[Analysis], dict], analysis: Analysis) -> Steps:
    result = write(analysis)
    yield
    yield
    return result


OUTPUTS: list[Output] = [
    Output(
        "icb_extracts",
        frozenset({"excel", "csv"}),
        "Per-ICB Excel workbooks and the all-ICB CSV for the month (current geography).",
        write_extracts,
        lambda r: {"workbooks": r["workbooks"], "folder": Path(r["folder"]), "csv": Path(r["csv"])},
        steps=extracts_in_steps,
    ),
    Output(
        "report_site",
        frozenset({"html"}),
        "Offline report site: England, every ICB and every practice for the month.",
        build_site,
        lambda r: {
            "index": Path(r["index"]),
            "icb_pages": r["icb_pages"],
            "pcn_pages": r["pcn_pages"],
            "practice_pages": r["practice_pages"],
        },
        optional=True,
        steps=site_in_steps,
    ),
]
