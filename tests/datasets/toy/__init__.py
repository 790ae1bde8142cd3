"""A test dataset, added as a newcomer would add a real one: this folder (how its file is found, staged and
checked, its table and SQL, its sample) plus one line in pipelines/datasets/registry.py, which the tests
add with monkeypatch. It stands for any practice-level monthly count (here flu vaccinations given)."""

from __future__ import annotations

from pipelines.datasets.dataset import Dataset, Source
from pipelines.table import B, Table, V

TOY_FILES = Source(
    asset="toy_source_file",
    folder="toy",
    what="toy file",
    description="The month's toy file: vaccinations given per practice (a test dataset).",
    module="tests.datasets.toy.source",
)

TOY = Dataset(
    asset="toy_vaccinations",
    source=TOY_FILES,
    description="Vaccinations given per practice in the month (a test dataset).",
    tables=(
        Table(
            "toy_vaccinations",
            "lake",
            True,
            (("month", V), ("practice_code", V), ("vaccinated", B)),
            "tests.datasets.toy.stage",
        ),
    ),
    module="tests.datasets.toy.stage",
)
