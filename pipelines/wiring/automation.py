"""The monthly chain, declared on the assets: what follows a month is each downstream asset's
AutomationCondition, so the Dagster UI shows, per asset, why it ran or is waiting.

* `indicator_values` (every org level, all months): after any of its inputs updates (a month's practice
  values, the lake, the organisation lists), once nothing it reads is still being written.
* `icb_extracts` and `report_site`: for the newest month with practice values, after `indicator_values`
  updates.

The schedule and the publication sensor ask for a month (monthly_job); the automation sensor below evaluates
these conditions and starts what they ask for; `msi run` asks Dagster the same question after its months
(runner.run_months). The e-mail is not a condition: it is sent, and retried until every message is sent, by
signals_email_sensor, which reads the outbox's state (sensors.py).
"""

from __future__ import annotations

import warnings

import dagster as dg

from pipelines.wiring.partitions import monthly_partitions

PRACTICE_VALUES = dg.AssetKey("indicator_practice_values")
INDICATORS = dg.AssetKey("indicator_values")


class NewestMonth(dg.AutomationCondition):
    """True for the partition of the newest month whose practice values Dagster has recorded (the month the
    extracts and the report are about), false for every other month."""

    @property
    def name(self) -> str:
        return "newest_month_with_practice_values"

    @property
    def description(self) -> str:
        return "The newest month with indicator practice values"

    def evaluate(self, context: dg.AutomationContext) -> dg.AutomationResult:
        months = context.asset_graph_view.instance.get_materialized_partitions(PRACTICE_VALUES)
        newest = {max(months, key=monthly_partitions.time_window_for_partition_key)} if months else set()
        return dg.AutomationResult(context, context.candidate_subset.compute_intersection_with_partition_keys(newest))


def _settled() -> dg.AutomationCondition:
    """Nothing this asset reads, nor the asset itself, is being written now."""
    return ~dg.AutomationCondition.any_deps_in_progress() & ~dg.AutomationCondition.in_progress()


AFTER_ANY_INPUT = (dg.AutomationCondition.any_deps_updated().since_last_handled() & _settled()).with_label(
    "after a month's practice values, the lake or the organisation lists update"
)

NEWEST_MONTH_AFTER_INDICATORS = (
    NewestMonth()
    & dg.AutomationCondition.any_deps_match(dg.AutomationCondition.newly_updated())
    .allow(dg.AssetSelection.assets(INDICATORS))
    .since_last_handled()
    & _settled()
).with_label("the newest month, after indicator_values updates")


def automated(outputs) -> list[dg.AssetKey]:
    """Every asset that carries one of these conditions: indicator_values and each registered output."""
    return [INDICATORS, *(dg.AssetKey(o.asset) for o in outputs)]


def automation_sensor(outputs) -> dg.AutomationConditionSensorDefinition:
    """Evaluates the conditions in the code location's process (NewestMonth is Python, which the daemon's
    own evaluator cannot run: Dagster's `use_user_code_server`, in beta, hence the warning silenced), every
    10 seconds, on by default: the schedule or the publication sensor is the one switch that delivers a month."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.AutomationConditionSensorDefinition(
            "monthly_chain",
            target=dg.AssetSelection.assets(*automated(outputs)),
            default_status=dg.DefaultSensorStatus.RUNNING,
            minimum_interval_seconds=10,
            use_user_code_server=True,
            emit_backfills=False,
            description="After a month lands: indicator_values, then the newest month's extracts and report "
            "(each asset's automation condition says when).",
        )
