"""Run settings: where the data lives and where the raw files come from. Plain (no Dagster): the CLI and
every module below the wiring read these; pipelines/wiring/resources.py makes them the Dagster resource."""

from pydantic import BaseModel

from pipelines.environment import DEFAULT_BASELINE, DEFAULT_CKAN_URL, SOURCES, value
from pipelines.layout import Layout, resolve_data_dir

__all__ = ["DEFAULT_BASELINE", "SOURCES", "Settings"]


class Settings(BaseModel):
    """Run settings. `msi` sets them from its options; `dg dev`/`msi serve` read MSI_* variables."""

    data_dir: str = "data"
    source: str = "sample"  # sample | nhsbsa | local
    epd_dir: str = ""  # --source local: folder of EPD files
    list_size_dir: str = ""  # local/nhsbsa: folder of NHS Digital files in YYYY-MM sub-folders
    ckan_base_url: str = DEFAULT_CKAN_URL
    sample_scale: str = "demo"  # demo | national
    sample_seed: int = 20260101
    patient_level_dir: str = ""  # a patient-level extract (contract v1); empty: public data only
    baseline: str = DEFAULT_BASELINE  # the period change is reported against (MSI_BASELINE), YYYY-MM:YYYY-MM

    @property
    def layout(self) -> Layout:
        return Layout(resolve_data_dir(self.data_dir))

    @classmethod
    def from_env(cls):
        """The settings `msi serve`'s code location runs with, from the MSI_* variables (each checked:
        a bad one raises SettingError naming it)."""
        return cls(
            data_dir=str(resolve_data_dir(None)),
            source=value("MSI_SOURCE"),
            epd_dir=value("MSI_EPD_DIR"),
            list_size_dir=value("MSI_LIST_SIZE_DIR"),
            ckan_base_url=value("MSI_CKAN_URL"),
            sample_scale=value("MSI_SAMPLE_SCALE"),
            patient_level_dir=value("MSI_PATIENT_LEVEL_DIR"),
            baseline=value("MSI_BASELINE"),
        )
