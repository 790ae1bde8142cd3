"""NHS Digital's (now NHS England's) "Patients Registered at a GP Practice": three files a month, the
registered patients by practice, sex and age (two files) and the practice map (practice -> PCN -> sub-ICB ->
ICB -> region). Two lake datasets come from them: the list sizes (the per-patient denominators) and the
practice geography.

In this folder: finding a month's files (files.py) and recording them (source.py); each era's layout and
EXTRACT_DATE (format.py); the rows staged as published and held to their expectation suites (rows.py,
suite.py); the two tables (list_sizes.py, practice_map.py); the sample's numbers and files (sample.py,
sample_files.py). Their SQL is under sql/lake/."""

from __future__ import annotations

from pipelines.datasets.dataset import Dataset, Source
from pipelines.table import DATE, B, Table, V

NHS_DIGITAL_FILES = Source(
    asset="list_size_source_files",
    folder="list_sizes",
    what="list-size files",
    description="NHS Digital's registered-patient files for the month (quinary ages, single-year females, map).",
    module="pipelines.datasets.nhs_digital.source",
    after=("epd_source_file",),
)

LIST_SIZES_TABLE = Table(
    "list_sizes",
    "lake",
    True,
    (
        ("month", V),
        ("practice_code", V),
        ("patients", B),
        ("female", B),
        ("male", B),
        ("aged_65_plus", B),
        ("aged_75_plus", B),
        ("aged_0_14", B),
        ("aged_15_19", B),
        ("female_13_54", B),
        ("female_0_12", B),
        ("extract_date", DATE),
    ),
    "pipelines.datasets.nhs_digital.list_sizes",
    ("lake/list_sizes",),
)

LIST_SIZES = Dataset(
    asset="list_sizes",
    source=NHS_DIGITAL_FILES,
    description="Registered patients per practice: total, by sex, 65+, 75+, and females 13-54 and 0-12.",
    tables=(LIST_SIZES_TABLE,),
    module="pipelines.datasets.nhs_digital.list_sizes",
)

GEOGRAPHY_TABLE = Table(
    "practice_geography",
    "lake",
    True,
    (
        ("month", V),
        ("practice_code", V),
        ("practice_name", V),
        ("practice_postcode", V),
        ("pcn_code", V),
        ("pcn_name", V),
        ("sub_icb_code", V),
        ("sub_icb_name", V),
        ("sub_icb_ons_code", V),
        ("icb_code", V),
        ("icb_name", V),
        ("icb_ons_code", V),
        ("region_code", V),
        ("region_name", V),
        ("region_ons_code", V),
        ("extract_date", DATE),
    ),
    "pipelines.datasets.nhs_digital.practice_map",
    ("lake/practice_geography",),
)

PRACTICE_MAP = Dataset(
    asset="practice_geography",
    source=NHS_DIGITAL_FILES,
    description="Practice -> PCN -> sub-ICB -> ICB -> region for the month, from NHS Digital's map.",
    tables=(GEOGRAPHY_TABLE,),
    module="pipelines.datasets.nhs_digital.practice_map",
)
