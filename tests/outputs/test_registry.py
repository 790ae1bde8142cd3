"""A new output is a function and a line in the outputs registry (pipelines/outputs/registry.py): this test adds
one, as a newcomer would, and sees it become an asset of the outputs group with the chain's automation
condition, requested for the newest month after indicator_values, written from the month's analysis and
left out by `--no-report` only when it says it is optional."""

from pathlib import Path

import dagster as dg

from pipelines.outputs import registry
from pipelines.wiring.definitions import build_definitions
from pipelines.wiring.resources import MsiSettings


def _briefing(folder: Path):
    def write(analysis) -> dict:
        path = folder / f"briefing-{analysis.month}.txt"
        path.write_text(f"{analysis.month}: {len(analysis.indicators)} indicators\n")
        return {"path": path, "indicators": len(analysis.indicators)}

    return registry.Output(
        "pcn_briefing",
        frozenset({"text"}),
        "A one-line briefing per month (a test output).",
        write,
        lambda r: {"path": r["path"], "indicators": r["indicators"]},
    )


def test_a_registered_output_is_an_asset_the_chain_requests_and_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "OUTPUTS", [*registry.OUTPUTS, _briefing(tmp_path)])
    defs = build_definitions(MsiSettings(data_dir=str(tmp_path)))
    graph = defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey("pcn_briefing"))
    assert node.group_name == "outputs" and node.partitions_def is not None
    assert {p.to_user_string() for p in node.parent_keys} == {"indicator_values", "indicator_practice_values"}
    assert node.automation_condition is not None
    assert node.automation_condition.get_label() == "the newest month, after indicator_values updates"
    sensor = defs.resolve_sensor_def("monthly_chain")
    assert dg.AssetKey("pcn_briefing") in sensor.asset_selection.resolve(graph)

    # The chain asks for it with the other outputs, for the newest month only.
    instance = dg.DagsterInstance.ephemeral()
    looked = dg.evaluate_automation_conditions(defs, instance)
    for month in ("2026-05", "2026-06"):
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key="indicator_practice_values", partition=f"{month}-01")
        )
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key="indicator_values"))
    looked = dg.evaluate_automation_conditions(defs, instance, cursor=looked.cursor)
    assert looked.get_requested_partitions(dg.AssetKey("pcn_briefing")) == {"2026-06-01"}
    assert looked.get_requested_partitions(dg.AssetKey("icb_extracts")) == {"2026-06-01"}

    # Run on its own, it is written from the month's one analysis (a stand-in here: the real one needs a lake).
    class Analysis:
        month = "2026-06"
        indicators = {"a": None, "b": None}

    monkeypatch.setattr("pipelines.wiring.assets.outputs.load_analysis", lambda layout, month, baseline: Analysis)
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, partition_key="2026-06-01", asset_selection=[dg.AssetKey("pcn_briefing")]
    )
    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = event.event_specific_data.materialization.metadata
    assert metadata["path"].value == str(tmp_path / "briefing-2026-06.txt") and metadata["indicators"].value == 2
    assert (tmp_path / "briefing-2026-06.txt").read_text() == "2026-06: 2 indicators\n"
    assert not (tmp_path / "extracts").exists()  # the other outputs were not selected, so not written


def test_only_optional_outputs_are_left_out_without_the_report():
    assert [o.asset for o in registry.OUTPUTS if o.optional] == ["report_site"]
    assert {o.asset for o in registry.OUTPUTS} == {"icb_extracts", "report_site"}
