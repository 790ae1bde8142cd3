"""The reference data the code reads from the repository's reference/ folder, as source assets: the graph
shows which steps read them, and each observation records a hash of the files as its data version, so
that a changed list marks everything downstream stale in the UI (reference_job observes them; every
`msi run` does so first)."""

import warnings

import dagster as dg

from pipelines.reference import BNF, ORGANISATIONS, content_version

# observable_source_asset is marked beta in Dagster 1.13 (pinned): its warning would print on every `msi` run.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)

    @dg.observable_source_asset(group_name="reference")
    def reference_organisations():
        """ICBs before and after April 2026, regions and CCG successors (reference/*.csv): today's organisation
        names and the re-basing of closed practices."""
        return dg.DataVersion(content_version(ORGANISATIONS))

    @dg.observable_source_asset(group_name="reference")
    def reference_bnf():
        """NHSBSA's BNF code lists and code changes, OpenPrescribing's opioid tables (reference/sources/) and the
        hand-kept opioid and presentation tables checked against them: code lists and OME."""
        return dg.DataVersion(content_version(BNF))
