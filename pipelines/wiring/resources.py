"""The one resource every asset uses: the run settings (pipelines/settings.py) as a Dagster resource."""

import dagster as dg

from pipelines.settings import Settings


class MsiSettings(dg.ConfigurableResource, Settings):
    """Run settings. `msi` sets them from its options; `dg dev`/`msi serve` read MSI_* variables."""


def as_resource(settings: Settings) -> MsiSettings:
    return settings if isinstance(settings, MsiSettings) else MsiSettings(**settings.model_dump())
