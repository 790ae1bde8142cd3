"""Patient-level benchmark: a synthetic extract of 1 million patients with 12 months of issues, checked,
loaded and turned into every patient-level indicator for each of the 12 months.

    uv run python -m bench.patient_level [--patients N] [--data DIR]

Writes bench/results/patient-level-<timestamp>.json; not part of the test suite."""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from pipelines.datasets.patient.sample import write_patient_sample
from pipelines.datasets.patient.stage import load_extract
from pipelines.indicators.patient import compute_patient_month
from pipelines.layout import Layout
from pipelines.months import month_range

ROOT = Path(__file__).resolve().parent.parent
MONTHS = month_range("2025-01:2025-12")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--data", default=str(ROOT / "bench" / "data" / "patient_level"))
    args = parser.parse_args(argv)
    data = Path(args.data)
    shutil.rmtree(data, ignore_errors=True)
    practices = [f"B{k:05d}" for k in range(6300)]
    started = time.perf_counter()
    info = write_patient_sample(data / "extract", practices, MONTHS, args.patients, fmt="csv")
    generated = time.perf_counter()
    layout = Layout(data / "lake")
    summary = load_extract(data / "extract", layout)
    loaded = time.perf_counter()
    for month in MONTHS:
        compute_patient_month(layout, month)
    done = time.perf_counter()
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "cpus": __import__("os").cpu_count(),
        "patients": summary.patients,
        "prescriptions": summary.prescriptions,
        "registrations": summary.registrations,
        "months": len(MONTHS),
        "generate_s": round(generated - started, 1),
        "check_and_load_s": round(loaded - generated, 1),
        "indicators_12_months_s": round(done - loaded, 1),
        "load_plus_indicators_s": round(done - generated, 1),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024, 2),
        "extract": info,
    }
    out = ROOT / "bench" / "results" / f"patient-level-{datetime.now(UTC):%Y-%m-%dT%H%M%S%z}.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
