"""Asset checks: each asks a plain module below (pipelines/checks/) and reports its answer to Dagster.

* prescribing_month_expectations (blocking): the Great Expectations suite, run inside DuckDB on the staged
  month before it was published; a failure stops every downstream asset of that month.
* prescribing_month_row_count_drift (warning): the month's row count against the previous month's.
* prescribing_month_commissioners (warning): commissioner codes against their era's reference set.
* prescribing_month_coverage (warning): an ICB or sub-ICB of the month's practice map (or of last month's
  EPD) with no prescribing, or too many of the map's practices without any.
* opioid_ome_coverage (warning): opioid items whose OME could not be read.
* pincer_agreement (warning): rows where a drug group and the PINCER list it cites disagree by the month's
  dm+d codes without a declared reason.
"""

import json

import dagster as dg

from pipelines.indicators.engine import OME_UNREAD_WARN_SHARE
from pipelines.months import from_partition_key
from pipelines.tables import lake_file, warehouse_file
from pipelines.verdicts.commissioners import KNOWN_SHARE, commissioner_codes
from pipelines.verdicts.coverage import MISSING_SHARE, month_coverage
from pipelines.verdicts.opioid_ome import ome_coverage
from pipelines.verdicts.pincer_agreement import pincer_agreement
from pipelines.verdicts.prescribing import expectations_result, row_count_drift
from pipelines.wiring.assets.indicators import indicator_practice_values
from pipelines.wiring.assets.lake import prescribing_month
from pipelines.wiring.resources import MsiSettings

WARN, ERROR = dg.AssetCheckSeverity.WARN, dg.AssetCheckSeverity.ERROR


@dg.asset_check(
    asset=prescribing_month,
    blocking=True,
    description="Great Expectations suite, run on the staged month before it was published: columns and "
    "types, code formats, non-negative measures, TOTAL_QUANTITY = QUANTITY x ITEMS, geography "
    "codes valid for the file's era; and the published partition is the bytes that passed",
)
def prescribing_month_expectations(context: dg.AssetCheckExecutionContext, msi: MsiSettings) -> dg.AssetCheckResult:
    month = from_partition_key(context.partition_key)
    result = expectations_result(msi.layout, month)
    if result is None:
        return dg.AssetCheckResult(
            passed=False, severity=ERROR, description=f"no validated prescribing for {month}: run prescribing_month"
        )
    summary = result["summary"]
    return dg.AssetCheckResult(
        passed=result["passed"],
        severity=ERROR,
        description=result["description"],
        metadata={
            "evaluated": summary["evaluated"],
            "failed": dg.MetadataValue.json(summary["failed"]),
            "geography_checked_against": summary["geography_rule"],
            "sha256": summary.get("sha256", ""),
            "statistics": dg.MetadataValue.json(json.loads(json.dumps(summary["statistics"], default=str))),
        },
    )


@dg.asset_check(
    asset=prescribing_month,
    blocking=False,
    description="Warns when the month's row count moves more than 25% from the previous month's",
)
def prescribing_month_row_count_drift(context: dg.AssetCheckExecutionContext, msi: MsiSettings) -> dg.AssetCheckResult:
    result = row_count_drift(msi.layout, from_partition_key(context.partition_key))
    return dg.AssetCheckResult(
        passed=result.pop("passed"), severity=WARN, description=result.pop("description"), metadata=result
    )


@dg.asset_check(
    asset=prescribing_month,
    blocking=False,
    description=f"Warns when under {KNOWN_SHARE:.0%} of identified items carry a commissioner (PCO) code "
    "of their era's reference set, naming the codes and the set used",
)
def prescribing_month_commissioners(context: dg.AssetCheckExecutionContext, msi: MsiSettings) -> dg.AssetCheckResult:
    result = commissioner_codes(msi.layout, from_partition_key(context.partition_key))
    metadata = {"reference_set": result["reference_set"]}
    if result["known_share"] is not None:
        metadata |= {
            "known_share": round(result["known_share"], 6),
            "unknown_codes": dg.MetadataValue.json([{"code": c, "items": i} for c, i in result["unknown"][:50]]),
        }
    return dg.AssetCheckResult(
        passed=result["passed"], severity=WARN, description=result["description"], metadata=metadata
    )


@dg.asset_check(
    asset=prescribing_month,
    blocking=False,
    description="Warns when an ICB or sub-ICB location of the month's practice map (or a whole ICB of the "
    f"previous month's EPD) has no prescribing, or over {MISSING_SHARE:.0%} of the map's "
    "practices have none, naming each; the outputs then say so for that ICB",
)
def prescribing_month_coverage(context: dg.AssetCheckExecutionContext, msi: MsiSettings) -> dg.AssetCheckResult:
    coverage = month_coverage(msi.layout, from_partition_key(context.partition_key))
    return dg.AssetCheckResult(
        passed=coverage.passed,
        severity=WARN,
        description=coverage.description(),
        metadata={
            "absent": dg.MetadataValue.json([a.__dict__ for a in coverage.absent]),
            "map_practices": coverage.map_practices,
            "map_practices_without_prescribing": coverage.map_missing,
        },
    )


@dg.asset_check(
    asset=prescribing_month,
    blocking=False,
    name="pincer_agreement",
    description="Warns when a drug group and the PINCER list it cites disagree on the month's rows by "
    "dm+d code (SNOMED_CODE, from Nov 2020) where the group declares no difference, naming "
    "each presentation, dm+d code and its items",
)
def pincer_agreement_check(context: dg.AssetCheckExecutionContext, msi: MsiSettings) -> dg.AssetCheckResult:
    month = from_partition_key(context.partition_key)
    path = lake_file(msi.layout, "prescribing", month)
    if not path.is_file():
        return dg.AssetCheckResult(passed=False, severity=WARN, description=f"{path} is missing: run prescribing_month")
    agreement = pincer_agreement(path)
    return dg.AssetCheckResult(
        passed=agreement.passed,
        severity=WARN,
        description=agreement.description(),
        metadata={
            "declared": len(agreement.disagreements) - len(agreement.undeclared),
            "undeclared": dg.MetadataValue.json([d.__dict__ for d in agreement.undeclared[:200]]),
        },
    )


@dg.asset_check(
    asset=indicator_practice_values,
    blocking=False,
    description=f"Warns when opioid items without an OME exceed {OME_UNREAD_WARN_SHARE:.1%} of the "
    "month's in-scope opioid items, naming each presentation and why",
)
def opioid_ome_coverage(context: dg.AssetCheckExecutionContext, msi: MsiSettings) -> dg.AssetCheckResult:
    month = from_partition_key(context.partition_key)
    path = warehouse_file(msi.layout, "opioid_ome", month)
    if not path.is_file():
        return dg.AssetCheckResult(
            passed=False, severity=WARN, description=f"{path} is missing: run indicator_practice_values for {month}"
        )
    c = ome_coverage(path)
    listed = "; ".join(f"{r['bnf_name']} ({r['items']} items: {r['reason']})" for r in c["without"][:10])
    return dg.AssetCheckResult(
        passed=c["passed"],
        severity=WARN,
        description=(
            f"{c['items_without_ome']:,} of {c['items_in_scope']:,} in-scope opioid items "
            f"({c['share']:.2%}) have no OME" + (f": {listed}" if listed else "")
        ),
        metadata={
            "items_in_scope": c["items_in_scope"],
            "items_without_ome": c["items_without_ome"],
            "share": round(c["share"], 6),
            "presentations_without_ome": dg.MetadataValue.json(c["without"]),
        },
    )


CHECKS = [
    prescribing_month_expectations,
    prescribing_month_row_count_drift,
    prescribing_month_commissioners,
    prescribing_month_coverage,
    opioid_ome_coverage,
    pincer_agreement_check,
]
