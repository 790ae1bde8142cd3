"""The Dagster definitions as text: assets with their group, partitioning and what each reads (deps), the
asset checks, jobs, schedules and sensors. tests/snapshots/definitions.txt holds the reviewed version, so
a change to the graph shows up as a diff; `uv run python -m pipelines.wiring.graph --write` rewrites it."""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg

SNAPSHOT = Path(__file__).resolve().parents[2] / "tests" / "snapshots" / "definitions.txt"


def _key(k: dg.AssetKey) -> str:
    return k.to_user_string()


def definitions_text(defs: dg.Definitions, title: str) -> str:
    graph = defs.get_repository_def().asset_graph
    lines = [f"# {title}", "assets (group, partitioned or not) <- what each reads:"]
    for key in sorted(graph.get_all_asset_keys(), key=_key):
        node = graph.get(key)
        kind = "observed source" if node.is_observable else ("monthly" if node.partitions_def else "unpartitioned")
        parents = ", ".join(sorted(_key(p) for p in node.parent_keys)) or "-"
        condition = node.automation_condition
        when = f"; automated: {condition.get_label() or condition.name}" if condition else ""
        lines.append(f"  {_key(key)} [{node.group_name}, {kind}] <- {parents}{when}")
    lines.append("asset checks:")
    for check in sorted(graph.asset_check_keys, key=lambda c: (c.name, _key(c.asset_key))):
        lines.append(f"  {check.name} on {_key(check.asset_key)}")
    lines.append("jobs:")
    for job in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name):
        if job.name.startswith("__"):
            continue
        keys = sorted(_key(k) for k in job.asset_layer.selected_asset_keys) if job.asset_layer else []
        lines.append(f"  {job.name}: {', '.join(keys)}")
    lines.append("schedules:")
    for schedule in defs.get_repository_def().schedule_defs:
        lines.append(
            f"  {schedule.name}: {schedule.cron_schedule} ({schedule.execution_timezone}) -> {schedule.job_name}"
        )
    lines.append("sensors:")
    for sensor in sorted(defs.get_repository_def().sensor_defs, key=lambda s: s.name):
        if isinstance(sensor, dg.AutomationConditionSensorDefinition):
            selected = sensor.asset_selection.resolve(graph)
            lines.append(
                f"  {sensor.name} (evaluates the automation conditions of {', '.join(sorted(map(_key, selected)))})"
            )
            continue
        targets = ", ".join(sorted(t.job_name for t in sensor.targets)) or "-"
        watched = sorted(j.name for j in getattr(sensor, "_monitored_jobs", None) or [])  # run-status sensors
        after = f" (after {', '.join(watched)} succeeds)" if watched else ""
        lines.append(f"  {sensor.name}{after} -> {targets}")
    return "\n".join(lines) + "\n"


def snapshot_text() -> str:
    from pipelines.wiring.definitions import build_definitions
    from pipelines.wiring.resources import MsiSettings

    public = build_definitions(MsiSettings(data_dir="data"))
    patient = build_definitions(MsiSettings(data_dir="data", patient_level_dir="patient-extract"))
    return (
        definitions_text(public, "public data (the default)")
        + "\n"
        + definitions_text(patient, "with a patient-level extract (MSI_PATIENT_LEVEL_DIR)")
    )


if __name__ == "__main__":
    text = snapshot_text()
    if "--write" in sys.argv:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(text)
    print(text, end="")
