"""The reference data the code reads from the repository's reference/ folder, as source assets: the graph
shows which steps read them, and each observation records a hash of the files as its data version, so
that a changed list marks everything downstream stale in the UI (reference_job observes them; every
`msi run` does so first)."""

import hashlib
import warnings

import dagster as dg

from pipelines.reference import REFERENCE_DIR

ORGANISATIONS = ("icbs_2022_07_to_2026_03.csv", "icbs_from_2026_04.csv", "regions.csv", "ccg_successors.csv")
BNF = ("bnf_presentations.csv", "opioid_chemicals.csv", "opioid_ome_factors.csv", "opioid_name_overrides.csv",
       "sources")


def content_version(names: tuple[str, ...]) -> str:
    """SHA-256 over the files (folders: every file in them), names included, in a fixed order."""
    digest = hashlib.sha256()
    for name in names:
        path = REFERENCE_DIR / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(str(file.relative_to(REFERENCE_DIR)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


def reference_organisations():
    """ICBs before and after April 2026, regions and CCG successors (reference/*.csv): today's organisation
    names and the re-basing of closed practices."""
    return dg.DataVersion(content_version(ORGANISATIONS))


def reference_bnf():
    """NHSBSA's BNF code lists and code changes, OpenPrescribing's opioid tables (reference/sources/) and the
    hand-kept opioid and presentation tables checked against them: code lists and OME."""
    return dg.DataVersion(content_version(BNF))


# observable_source_asset is marked beta in Dagster 1.13 (pinned): its warning would print on every `msi` run.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    reference_organisations = dg.observable_source_asset(group_name="reference")(reference_organisations)
    reference_bnf = dg.observable_source_asset(group_name="reference")(reference_bnf)
