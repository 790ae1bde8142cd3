"""A patient-level extract (contract v1: prescriptions and registrations, pseudonymised), supplied by an ICB or
a trusted research environment for the PINCER-style definitions. Not monthly: staged, checked and published
whole by its own asset (pipelines/wiring/assets/patient.py) when MSI_PATIENT_LEVEL_DIR names it, and readable
by its owner only (pipelines/private.py).

In this folder: the contract (contract.py), staging (stage.py) under its suite (suite.py), the sample
extract with the golden test's hand-made patients (sample.py, edge_cases/). Its SQL is under sql/patient/."""

from __future__ import annotations

from pipelines.table import DATE, D, F, Table, V

PRESCRIPTIONS_FILE = Table(
    "patient_prescriptions",
    "lake",
    False,
    (
        ("patient_id", V),
        ("practice_code", V),
        ("issue_date", DATE),
        ("bnf_code", V),
        ("quantity", D),
        ("snomed_code", V),
        ("dose_text", V),
    ),
    "pipelines.datasets.patient.stage",
    ("patient/stage_prescriptions", "patient/normalise_prescriptions"),
    folder="patient",
    file="prescriptions.parquet",
    private=True,
)
REGISTRATIONS_FILE = Table(
    "patient_registrations",
    "lake",
    False,
    (
        ("patient_id", V),
        ("practice_code", V),
        ("sex", V),
        ("date_of_birth", DATE),
        ("registered_from", DATE),
        ("registered_to", DATE),
        ("learning_disability_or_autism", F),
    ),
    "pipelines.datasets.patient.stage",
    ("patient/stage_registrations", "patient/normalise_registrations", "patient/flags_carried"),
    folder="patient",
    file="registrations.parquet",
    private=True,
)
TABLES = (PRESCRIPTIONS_FILE, REGISTRATIONS_FILE)
# The checked extract's files by the contract's table names (contract.py).
FILES = {"prescriptions": PRESCRIPTIONS_FILE, "registrations": REGISTRATIONS_FILE}
