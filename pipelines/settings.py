"""Run settings: where the data lives and where the raw files come from. Plain (no Dagster): the CLI and
every module below the wiring read these; pipelines/wiring/resources.py makes them the Dagster resource."""

import os

from pydantic import BaseModel

from pipelines.layout import Layout, resolve_data_dir
from pipelines.sources.nhsbsa import DEFAULT_BASE_URL

SOURCES = ("sample", "nhsbsa", "local")
# NHS England's Medicines Safety Improvement Programme measures change against calendar 2021.
DEFAULT_BASELINE = "2021-01:2021-12"


class Settings(BaseModel):
    """Run settings. `msi` sets them from its options; `dg dev`/`msi serve` read MSI_* variables."""

    data_dir: str = "data"
    source: str = "sample"  # sample | nhsbsa | local
    epd_dir: str = ""  # --source local: folder of EPD files
    list_size_dir: str = ""  # local/nhsbsa: folder of NHS Digital files in YYYY-MM sub-folders
    ckan_base_url: str = DEFAULT_BASE_URL
    sample_scale: str = "demo"  # demo | national
    sample_seed: int = 20260101
    patient_level_dir: str = ""  # a patient-level extract (contract v1); empty: public data only
    baseline: str = DEFAULT_BASELINE  # the period change is reported against (MSI_BASELINE), YYYY-MM:YYYY-MM

    @property
    def layout(self) -> Layout:
        return Layout(resolve_data_dir(self.data_dir))

    @classmethod
    def from_env(cls):
        source = os.environ.get("MSI_SOURCE", "sample")
        if source not in SOURCES:
            raise ValueError(f"MSI_SOURCE must be one of {SOURCES}, not {source!r}")
        return cls(
            data_dir=str(resolve_data_dir(None)),
            source=source,
            epd_dir=os.environ.get("MSI_EPD_DIR", ""),
            list_size_dir=os.environ.get("MSI_LIST_SIZE_DIR", ""),
            ckan_base_url=os.environ.get("MSI_CKAN_URL", DEFAULT_BASE_URL),
            sample_scale=os.environ.get("MSI_SAMPLE_SCALE", "demo"),
            patient_level_dir=os.environ.get("MSI_PATIENT_LEVEL_DIR", ""),
            baseline=os.environ.get("MSI_BASELINE", DEFAULT_BASELINE),
        )
