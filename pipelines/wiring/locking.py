"""Every asset that writes under the data directory holds its lock (pipelines/lock.py) for the whole step,
reads included, so that what it reads and what it publishes belong to one state of the data."""

from __future__ import annotations

import dagster as dg

from pipelines.lock import data_lock
from pipelines.wiring.resources import MsiSettings


def writing(context: dg.AssetExecutionContext, msi: MsiSettings):
    """The data directory's write lock, held in the name of this step (and partition) of this run."""
    step = ", ".join(k.to_user_string() for k in context.selected_asset_keys)
    partition = f" {context.partition_key[:7]}" if context.has_partition_key else ""
    return data_lock(msi.layout.root, f"msi step {step}{partition}, run {context.run_id[:8]}", on_wait=context.log.info)
