"""The Dagster graph as reviewed: a change to assets, what they read, checks, jobs, schedules or sensors
must come with an updated tests/snapshots/definitions.txt (`uv run python -m pipelines.wiring.graph --write`)."""

from pipelines.wiring.graph import SNAPSHOT, snapshot_text


def test_definitions_match_the_reviewed_snapshot():
    assert snapshot_text() == SNAPSHOT.read_text(), (
        "the Dagster definitions changed: review `uv run python -m pipelines.wiring.graph` against "
        "tests/snapshots/definitions.txt and rewrite it with --write"
    )


def test_every_read_is_declared():
    """What the code reads, as the graph must show it (the cracks this snapshot was made to keep closed)."""
    text = SNAPSHOT.read_text()
    assert (
        "indicator_practice_values [indicators, monthly] <- "
        "list_sizes, practice_geography, prescribing_month, reference_bnf" in text
    )
    assert (
        "indicator_values [indicators, unpartitioned] <- indicator_practice_values, patient_indicator_practice, "
        "practice_geography, prescribing_month, reference_organisations"
    ) in text
    assert "report_site [outputs, monthly] <- indicator_practice_values, indicator_values" in text
    assert "signals_email [notify, monthly] <- icb_extracts" in text and "signals_email_sensor -> email_job" in text
