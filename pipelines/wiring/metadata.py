"""What a plain module returns, as Dagster shows it: the datasets' and the outputs' summaries name files as
pathlib.Path values (they import no Dagster), and a Path is shown as a path."""

from pathlib import Path

import dagster as dg


def shown(metadata: dict) -> dict:
    return {k: dg.MetadataValue.path(str(v)) if isinstance(v, Path) else v for k, v in metadata.items()}
