"""The dataset registry (pipelines/datasets/registry.py) drives the graph, the month's stage-check-publish
loop and the table list: each declaration keeps its promises, and a new dataset is one folder plus a line in
the registry (the toy in tests/datasets/toy/, added here as a newcomer would)."""

import hashlib
from importlib import import_module

import dagster as dg
import duckdb
import pytest

from pipelines.datasets import registry
from pipelines.tables import TABLES, lake_file
from pipelines.wiring.definitions import build_definitions
from pipelines.wiring.resources import MsiSettings
from pipelines.wiring.runner import RunFailed, run_months
from tests.datasets import toy
from tests.datasets.toy.sample import write_sample
from tests.datasets.toy.source import inbox
from tests.epd_fixtures import REAL_ROWS, write


def test_every_declaration_names_a_module_with_the_functions_it_promises():
    for dataset in registry.DATASETS:
        module = import_module(dataset.module)
        assert callable(module.stage) and callable(module.metadata), dataset.asset
    for source in registry.sources():
        module = import_module(source.module)
        assert callable(module.locate) and callable(module.metadata), source.asset
    assert len({d.asset for d in registry.DATASETS}) == len(registry.DATASETS)


def test_every_lake_table_is_declared_by_its_dataset_and_written_from_its_folder():
    declared = {t.name: d for d in registry.DATASETS for t in d.tables}
    lake = {name for name, t in TABLES.items() if t.zone == "lake"}
    assert lake == set(declared) | {t.name for t in registry.OTHER_LAKE_TABLES}
    assert {"prescribing", "practices", "list_sizes", "practice_geography"} <= set(declared)
    for name, dataset in declared.items():
        assert TABLES[name].writer.startswith(dataset.module.rsplit(".", 1)[0] + "."), name


def test_the_lake_step_and_the_source_assets_are_made_from_the_registry(tmp_path):
    defs = build_definitions(MsiSettings(data_dir=str(tmp_path)))
    lake = defs.resolve_assets_def("prescribing_month")
    assert lake.node_def.name == "lake_month"
    assert {k.to_user_string() for k in lake.keys} == {d.asset for d in registry.DATASETS}
    for dataset in registry.DATASETS:
        deps = {k.to_user_string() for k in lake.asset_deps[dg.AssetKey(dataset.asset)]}
        assert deps == {dataset.source.asset, *dataset.reads}
    graph = defs.resolve_asset_graph()
    for source in registry.sources():
        node = graph.get(dg.AssetKey(source.asset))
        assert node.group_name == "sources"
        assert {k.to_user_string() for k in node.parent_keys} == set(source.after)


@pytest.fixture
def with_toy(monkeypatch):
    """The registry line a newcomer adds (and the table list reading it), for this test only."""
    monkeypatch.setattr(registry, "DATASETS", [*registry.DATASETS, toy.TOY])
    monkeypatch.setitem(TABLES, "toy_vaccinations", toy.TOY.tables[0])


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_a_new_dataset_is_a_folder_and_a_registry_line(with_toy, tmp_path):
    epd_dir, lists = tmp_path / "epd", tmp_path / "lists"
    lists.mkdir()  # no NHS Digital files: the month degrades, as it may
    write(epd_dir / "EPD_SNOMED_202605.csv", REAL_ROWS.read_bytes().replace(b'"2026-01"', b'"2026-05"'))
    settings = MsiSettings(
        data_dir=str(tmp_path / "data"), source="local", epd_dir=str(epd_dir), list_size_dir=str(lists)
    )
    write_sample(inbox(settings, "2026-05"))

    # In the graph: its source asset, and its table made by the month's one lake step, in the monthly job.
    defs = build_definitions(settings)
    assert defs.resolve_asset_graph().get(dg.AssetKey("toy_source_file")).group_name == "sources"
    assert dg.AssetKey("toy_vaccinations") in defs.resolve_assets_def("prescribing_month").keys
    monthly = defs.resolve_job_def("monthly_job").asset_layer.selected_asset_keys
    assert {dg.AssetKey("toy_source_file"), dg.AssetKey("toy_vaccinations")} <= monthly

    # Run as `msi run` runs a month: located, staged, checked and published with the EPD month.
    (outcome,) = run_months(settings, ["2026-05"], instance=dg.DagsterInstance.ephemeral(), report=False)
    assert outcome.metadata["toy_vaccinations"]["vaccinated"] == 200  # 120 + 80 + 0 (tests/datasets/toy/sample.py)
    published = lake_file(settings.layout, "toy_vaccinations", "2026-05")
    rows = duckdb.sql(f"SELECT * FROM read_parquet('{published}') ORDER BY practice_code").fetchall()
    assert rows == [("2026-05", "A81001", 120), ("2026-05", "A81002", 80), ("2026-05", "Y02345", 0)]
    epd = lake_file(settings.layout, "prescribing", "2026-05")
    before = {epd: sha(epd), published: sha(published)}

    # Its expectations refuse a bad file, and then nothing of the month is published: the EPD month included.
    inbox(settings, "2026-05").write_text("PRACTICE_CODE,VACCINATED\nA81001,-5\nA81002,80\n")
    with pytest.raises(RunFailed) as failed:
        run_months(settings, ["2026-05"], instance=dg.DagsterInstance.ephemeral(), report=False)
    line = str(failed.value)
    assert line.startswith("2026-05: step 'lake_month' failed: 2026-05.csv for 2026-05 refused by the toy ")
    assert "vaccinated is a count (0 or more): 1 unexpected" in line and "\n" not in line
    assert {path: sha(path) for path in before} == before
