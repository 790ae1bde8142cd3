"""The Dagster wiring: every asset, asset check, job, schedule, sensor, partition and resource, and the
in-process runner `msi run` uses. The only package that imports dagster; everything it calls is plain."""
