"""The English Prescribing Dataset (NHSBSA): every prescription item dispensed in England, by practice and
presentation, one file a month since 2014 (legacy EPD to June 2025, EPD with SNOMED code from November 2020).

In this folder: finding a month's file on disk (files.py) or on NHSBSA's open-data portal (nhsbsa.py), and
recording it (source.py); the header flavours of every era (flavours.py); reading it into the lake (scan.py,
stage.py) under its expectation suite (suite.py, validation.py); the sample's rows and file (sample.py,
sample_file.py). Its SQL is under sql/lake/."""

from __future__ import annotations

from pipelines.datasets.dataset import Dataset, Source
from pipelines.table import INT, B, D, F, Table, V

EPD_FILE = Source(
    asset="epd_source_file",
    folder="epd",
    what="EPD file",
    description="The published English Prescribing Dataset file for the month (ZIP or CSV).",
    module="pipelines.datasets.epd.source",
)

# The month's rows, typed, in the published order; and its practice dimension (names and addresses once).
FACT = Table(
    "prescribing",
    "lake",
    True,
    (
        ("month", V),
        ("region_code", V),
        ("icb_code", V),
        ("sub_icb_code", V),
        ("practice_code", V),
        ("chem_code", V),
        ("chem_name", V),
        ("bnf_code", V),
        ("bnf_name", V),
        ("snomed_code", V),
        ("quantity", D),
        ("items", INT),
        ("total_quantity", D),
        ("adq_usage", D),
        ("nic", D),
        ("actual_cost", D),
        ("unidentified", F),
    ),
    "pipelines.datasets.epd.stage",
    (
        "lake/year_months",
        "lake/locate_bad_value",
        "lake/practice_counts",
        "lake/presentation_name_suspects",
        "lake/repair_presentation_names",
    ),
)
PRACTICES = Table(
    "practices",
    "lake",
    True,
    (
        ("month", V),
        ("practice_code", V),
        ("sub_icb_code", V),
        ("practice_name", V),
        ("address_1", V),
        ("address_2", V),
        ("address_3", V),
        ("address_4", V),
        ("postcode", V),
        ("sub_icb_name", V),
        ("icb_code", V),
        ("icb_name", V),
        ("region_code", V),
        ("region_name", V),
        ("rows", B),
        ("items", B),
    ),
    "pipelines.datasets.epd.stage",
    ("lake/write_practices",),
)

PRESCRIBING = Dataset(
    asset="prescribing_month",
    source=EPD_FILE,
    description="Every EPD row of the month with canonical columns, typed, in the published order; plus the "
    "month's practice dimension (names and addresses once per practice).",
    tables=(FACT, PRACTICES),
    module="pipelines.datasets.epd.stage",
    reads=("reference_organisations",),  # the era's ICB codes the suite checks against
    large=True,  # a national month: ~30 s of polars, numpy and DuckDB
)
