"""One switch delivers the month: with the publication sensor turned on, Dagster's own daemon runs the whole
chain (month -> indicators -> extracts and report -> e-mail, each a run) with nothing else started by hand:
the month from the sensor's request, then the assets' automation conditions, then the e-mail sensor.

It runs the real machinery: the workspace in workspace.yaml, `dagster sensor start`, and `dagster-daemon run`
(sensors, the run queue, runs launched in their own processes). NHSBSA's portal is a local CKAN stand-in
serving a 3% sample month as a ZIP; NHS Digital's files are a local folder; the SMTP server is aiosmtpd on
127.0.0.1. The test waits for the message to arrive, then checks it against the ICB's page and workbook."""

import email
import os
import re
import signal
import subprocess
import sys
import time
from email import policy
from pathlib import Path

from pipelines.datasets.epd.nhsbsa import SNOMED_PACKAGE
from pipelines.datasets.sample import write_sample_month
from pipelines.outputs.report.site import read_data_module
from pipelines.wiring.runner import DAGSTER_YAML
from tests.ckan_server import FakeCkan
from tests.smtp_server import Inbox, free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MONTH = "2026-06"
ICB = "S1Y5D"  # NHS Central East ICB (reference/icbs_from_2026_04.csv), which has practices in the 3% sample
WAIT_SECONDS = 420


def test_the_publication_sensor_alone_delivers_the_month_by_e_mail(tmp_path):
    from aiosmtpd.controller import Controller

    src, data, home = tmp_path / "published", tmp_path / "data", tmp_path / "dagster_home"
    sample = write_sample_month(MONTH, src, practice_fraction=0.03)
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    data.mkdir()
    (data / "subscriptions.yaml").write_text(
        f"subscriptions:\n  - icb: {ICB}\n    to: [central.east.pharmacy@example.nhs.uk]\n"
    )

    port, inbox = free_port(), Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    daemon = None
    with FakeCkan() as ckan:
        ckan.add_resource(
            SNOMED_PACKAGE,
            f"EPD_SNOMED_{MONTH.replace('-', '')}",
            "2026-08-14T09:00:00",
            None,
            content=sample.epd_path.read_bytes(),
        )
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "MSI_DATA_DIR": str(data),
            "MSI_SOURCE": "nhsbsa",
            "MSI_CKAN_URL": ckan.base_url,
            "MSI_LIST_SIZE_DIR": str(src),
            "MSI_FIRST_MONTH": MONTH,
            "MSI_SMTP_HOST": "127.0.0.1",
            "MSI_SMTP_PORT": str(port),
            "MSI_SMTP_FROM": "msi@example.nhs.uk",
            "MSI_SMTP_STARTTLS": "false",
            "DAGSTER_DISABLE_TELEMETRY": "1",
        }
        workspace = ["-w", str(ROOT / "workspace.yaml")]
        started = subprocess.run(
            [str(BIN / "dagster"), "sensor", "start", "nhsbsa_publication_sensor", *workspace],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert started.returncode == 0, started.stderr[-2000:]
        log = (tmp_path / "daemon.log").open("w")
        try:
            daemon = subprocess.Popen(
                [str(BIN / "dagster-daemon"), "run", *workspace],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            deadline = time.monotonic() + WAIT_SECONDS
            while (
                time.monotonic() < deadline
                and daemon.poll() is None
                and not (
                    inbox.envelopes
                    and any(job == "email_job" and status == "SUCCESS" for job, _, status in _runs(home))
                )
            ):  # sent, and its run ended
                time.sleep(2)
        finally:
            if daemon is not None and daemon.poll() is None:
                os.killpg(daemon.pid, signal.SIGTERM)
                try:
                    daemon.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(daemon.pid, signal.SIGKILL)
            log.close()
            smtp.stop()
        assert inbox.envelopes, (
            f"no message within {WAIT_SECONDS} s; runs: {_runs(home)}; daemon log tail:\n"
            + (tmp_path / "daemon.log").read_text()[-3000:]
        )

    # Every link of the chain ran, each as its own run, all successful: the month (the publication sensor's
    # request), indicator_values then the month's outputs (the assets' automation conditions, evaluated by the
    # monthly_chain sensor), then the e-mail.
    runs = _runs(home)
    assert [(job, assets) for job, assets, _ in runs] == [
        ("monthly_job", ""),  # a whole job: no asset selection
        ("__ASSET_JOB", "indicator_values"),  # Dagster's own job for what a condition requests
        ("__ASSET_JOB", "icb_extracts, report_site"),
        ("email_job", ""),
    ], runs
    assert {status for _, _, status in runs} == {"SUCCESS"}, runs

    # The message: to the subscriber, with the ICB's workbook, saying the same count as the ICB's page.
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["central.east.pharmacy@example.nhs.uk"]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert "June 2026" in message["Subject"]
    [attachment] = [p.get_filename() for p in message.iter_attachments()]
    assert attachment == f"{ICB}.xlsx" and (data / "extracts" / MONTH / attachment).is_file()
    _, page = read_data_module(data / "reports" / "data" / MONTH / "icb" / f"{ICB}.js")
    said = re.search(r"(\d+) to act on first|nothing to act on first", message["Subject"])
    assert len(page["icb"]["first"]) == int(said.group(1) or 0)  # the ICB page's list is the one the body gives


def _runs(home: Path) -> list[tuple[str, str, str]]:
    """(job, the assets it materialised, status) of every run, oldest first."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records()
        return [
            (
                r.dagster_run.job_name,
                ", ".join(sorted(k.to_user_string() for k in r.dagster_run.asset_selection or [])),
                r.dagster_run.status.value,
            )
            for r in reversed(records)
        ]
