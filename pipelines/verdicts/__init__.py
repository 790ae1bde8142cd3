"""Verdicts on published data, as Dagster's asset checks report them (pipelines/wiring/asset_checks.py): commissioner
codes, a month's coverage of the ICBs, OME coverage, the drug groups against PINCER's lists, the recorded
suite verdict and row-count drift. They read the lake and the indicators; the suites the lake's steps run
before anything is published are in pipelines/checks/."""
