"""The Dagster code location: it loads, runs a month, blocks on a failing check, schedules and senses."""

from datetime import UTC, datetime

import dagster as dg
import pytest

from pipelines.datasets.epd.nhsbsa import SNOMED_PACKAGE
from pipelines.datasets.sample import write_sample_month
from pipelines.tables import lake_file
from pipelines.wiring.asset_checks import prescribing_month_expectations, prescribing_month_row_count_drift
from pipelines.wiring.assets.lake import list_sizes, month_assets, practice_geography, prescribing_month
from pipelines.wiring.definitions import build_definitions, defs
from pipelines.wiring.partitions import monthly_partitions
from pipelines.wiring.resources import MsiSettings
from pipelines.wiring.runner import RunFailed, run_months
from pipelines.wiring.schedules import monthly_schedule
from pipelines.wiring.sensors import nhsbsa_publication_sensor
from tests.ckan_server import FakeCkan
from tests.epd_fixtures import REAL_ROWS, write


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
    assert {j.name for j in defs.resolve_all_job_defs()} >= {"monthly_job", "reference_job"}
    assert defs.resolve_schedule_def("monthly_schedule").cron_schedule == "0 6 20 * *"
    assert defs.resolve_sensor_def("nhsbsa_publication_sensor")


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("epd")
    for month in ("2026-03", "2026-04"):
        write_sample_month(month, out, practice_fraction=0.03)
    return out


def test_two_months_through_dagster_from_local_files(sample_dir, tmp_path):
    settings = MsiSettings(
        data_dir=str(tmp_path), source="local", epd_dir=str(sample_dir), list_size_dir=str(sample_dir)
    )
    instance = dg.DagsterInstance.ephemeral()
    outcomes = run_months(settings, ["2026-03", "2026-04"], instance=instance)
    assert [o.month for o in outcomes] == ["2026-03", "2026-04"]
    for o in outcomes:
        assert o.checks == {
            "prescribing_month_expectations": True,
            "prescribing_month_row_count_drift": True,
            "prescribing_month_commissioners": True,
            "prescribing_month_coverage": True,
            "opioid_ome_coverage": True,
            "pincer_agreement": True,
        }
        rx = o.metadata["prescribing_month"]
        assert rx["dagster/row_count"] > 10000 and rx["header_flavour"] == "snomed_2025 (ICB)"
        assert o.metadata["list_sizes"]["dagster/row_count"] > 100
    # The reorganisation shows in the geography: 42 ICB codes' worth of practices before, 36 after.
    assert outcomes[0].metadata["practice_geography"]["icbs"] > outcomes[1].metadata["practice_geography"]["icbs"]
    # The reference data were observed first, each with a hash of its files as the data version.
    from pipelines.reference import BNF, ORGANISATIONS, content_version

    for key, files in (("reference_organisations", ORGANISATIONS), ("reference_bnf", BNF)):
        observed = instance.get_latest_data_version_record(dg.AssetKey(key))
        assert observed is not None
        assert observed.asset_observation.tags["dagster/data_version"] == content_version(files)
    check_warehouse(settings.layout, ["2026-03", "2026-04"])
    # After the months, the assets' automation conditions ran indicator_values once, then the newest month's
    # extracts and report, each a run of its own (as the daemon's automation sensor would start them).
    runs = [r.dagster_run for r in reversed(instance.get_run_records())]
    assert [sorted(k.to_user_string() for k in r.asset_selection or []) for r in runs[-2:]] == [
        ["indicator_values"],
        ["icb_extracts", "report_site"],
    ]
    assert runs[-1].tags["dagster/partition"] == "2026-04-01" and (settings.layout.extracts("2026-04")).is_dir()
    assert not settings.layout.extracts("2026-03").exists()


def check_warehouse(layout, months):
    """indicator_values covers every indicator, month and ICB, and each ICB row is the pooled sum of its
    practices' rows (counted where the practice has a denominator, all rows for counts)."""
    import duckdb

    from pipelines.indicators.engine import public_indicators

    with duckdb.connect(str(layout.warehouse / "msi.duckdb"), read_only=True) as con:
        seen = con.execute("SELECT DISTINCT indicator_id, month FROM indicator_values").fetchall()
        assert set(seen) == {(i, m) for i in public_indicators() for m in months}
        from pipelines.reference import valid_icb_codes

        def icbs(month, geography):
            return {
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT org_code FROM indicator_values WHERE org_type = 'icb' AND month = $m "
                    "AND geography = $g",
                    {"m": month, "g": geography},
                ).fetchall()
            }

        # As published, March has the 42 ICBs' codes and April the 36; 'current' re-bases March on today's.
        assert len(icbs("2026-03", "as_published")) > 30 and icbs("2026-03", "as_published") <= set(
            valid_icb_codes("2026-03")
        )
        assert len(icbs("2026-04", "as_published")) > 30 and icbs("2026-04", "as_published") <= set(
            valid_icb_codes("2026-04")
        )
        assert icbs("2026-03", "current") <= set(valid_icb_codes("2026-04"))
        abolished = {"QHG", "QUE", "QM7", "QH8", "QMM", "QJG", "QMJ", "QRV", "QU9", "QNQ", "QXU", "QNX"}
        assert icbs("2026-03", "as_published") & abolished and not icbs("2026-03", "current") & abolished
        mismatches = con.execute("""
            WITH practices AS (
                SELECT indicator_id, month, geography, icb_code,
                       sum(numerator) FILTER (WHERE unit = 'count' OR denominator > 0) AS num,
                       sum(denominator) FILTER (WHERE denominator > 0) AS den
                FROM indicator_values WHERE org_type = 'practice' GROUP BY ALL)
            SELECT count(*) FROM indicator_values i JOIN practices p
              ON i.indicator_id = p.indicator_id AND i.month = p.month AND i.geography = p.geography
             AND i.org_code = p.icb_code
            WHERE i.org_type = 'icb' AND (abs(i.numerator - p.num) > 1e-6 * greatest(1, abs(p.num))
                   OR abs(coalesce(i.denominator, 0) - coalesce(p.den, 0)) > 1e-6 * greatest(1, coalesce(p.den, 0)))
        """).fetchone()[0]
        assert mismatches == 0
        england = con.execute("SELECT count(*) FROM indicator_values WHERE org_type = 'england'").fetchone()[0]
        assert england == len(public_indicators()) * len(months) * 2


def test_missing_month_names_it(sample_dir, tmp_path):
    settings = MsiSettings(
        data_dir=str(tmp_path), source="local", epd_dir=str(sample_dir), list_size_dir=str(sample_dir)
    )
    with pytest.raises(RunFailed, match="2026-05: step 'epd_source_file' failed: no EPD file for 2026-05") as failed:
        run_months(settings, ["2026-05"], instance=dg.DagsterInstance.ephemeral())
    assert "\n" not in str(failed.value) and str(settings.layout.root / "logs" / "msi.log") in str(failed.value)
    assert "in find_epd_file" in (settings.layout.root / "logs" / "msi.log").read_text()  # the stack goes to the log


def test_failing_expectations_publish_nothing_and_block_downstream(tmp_path):
    # A May 2026 file still using NHS Frimley ICB (QNQ), abolished on 1 April 2026: readable, but wrong.
    import hashlib

    good = REAL_ROWS.read_bytes().replace(b'"2026-01"', b'"2026-05"')
    bad = good.replace(b'"QKK"', b'"QNQ"')
    epd_dir, lists = tmp_path / "epd", tmp_path / "lists"
    lists.mkdir()  # no NHS Digital files: the month degrades
    settings = MsiSettings(
        data_dir=str(tmp_path / "data"), source="local", epd_dir=str(epd_dir), list_size_dir=str(lists)
    )
    ran = []

    @dg.asset(partitions_def=monthly_partitions, deps=[prescribing_month])
    def downstream_indicator():
        ran.append(True)

    def materialize(content: bytes):
        write(epd_dir / "EPD_SNOMED_202605.csv", content)
        return dg.materialize(
            [*month_assets(), prescribing_month_expectations, downstream_indicator],
            partition_key="2026-05-01",
            resources={"msi": settings},
            raise_on_error=False,
            instance=dg.DagsterInstance.ephemeral(),
        )

    first = materialize(good)
    assert first.success and ran == [True]
    check = next(e for e in first.get_asset_check_evaluations() if e.check_name == "prescribing_month_expectations")
    assert check.passed and check.metadata["geography_checked_against"].value == "the 36 ICB codes from April 2026"
    lake = lake_file(settings.layout, "prescribing", "2026-05")
    before = hashlib.sha256(lake.read_bytes()).hexdigest()

    ran.clear()
    result = materialize(bad)
    assert not result.success and ran == []  # the downstream asset never ran
    assert hashlib.sha256(lake.read_bytes()).hexdigest() == before  # the good month's bytes are still there
    # What `msi run` prints: the rule, the column, the count and values, and where the details are.
    from pipelines.wiring.runner import _failure_message

    line = _failure_message(result, "2026-05", tmp_path / "logs" / "msi.log")
    assert (
        line.startswith(
            "2026-05: step 'lake_month' failed: EPD_SNOMED_202605.csv for 2026-05 refused by "
            "the prescribing expectations: icb_code in the 36 ICB codes from April 2026: 4 unexpected, "
            "e.g. ['QNQ'"
        )
        and "\n" not in line
    )
    assert "Nothing of 2026-05 was published" in line and line.endswith(f"(details: {tmp_path / 'logs' / 'msi.log'})")
    assert "refused by the prescribing expectations" in (tmp_path / "logs" / "msi.log").read_text()


def test_row_count_drift_warns(sample_dir, tmp_path):
    settings = MsiSettings(
        data_dir=str(tmp_path), source="local", epd_dir=str(sample_dir), list_size_dir=str(sample_dir)
    )
    shrunk = tmp_path / "epd"
    lines = (sample_dir / "EPD_SNOMED_202604.csv").read_bytes().splitlines(keepends=True)
    write(shrunk / "EPD_SNOMED_202604.csv", b"".join(lines[: len(lines) // 2]))
    result = dg.materialize(
        [*month_assets(), prescribing_month_row_count_drift],
        partition_key="2026-03-01",
        resources={"msi": settings},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    settings2 = MsiSettings(data_dir=str(tmp_path), source="local", epd_dir=str(shrunk), list_size_dir=str(sample_dir))
    result = dg.materialize(
        [*month_assets(), prescribing_month_row_count_drift],
        partition_key="2026-04-01",
        resources={"msi": settings2},
        raise_on_error=False,
        instance=dg.DagsterInstance.ephemeral(),
    )
    drift = next(e for e in result.get_asset_check_evaluations() if e.check_name == "prescribing_month_row_count_drift")
    assert not drift.passed and drift.severity == dg.AssetCheckSeverity.WARN
    assert result.success  # a warning does not stop the run


@pytest.mark.parametrize(
    "tick, expected",
    [
        (datetime(2026, 11, 20, 6, 0, tzinfo=UTC), "2026-09-01"),
        (datetime(2026, 1, 20, 6, 0, tzinfo=UTC), "2025-11-01"),
        (datetime(2026, 3, 20, 6, 0, tzinfo=UTC), "2026-01-01"),
    ],
)
def test_schedule_requests_the_month_expected_to_be_published(tick, expected):
    context = dg.build_schedule_context(scheduled_execution_time=tick)
    request = monthly_schedule(context)
    assert request.partition_key == expected


def test_sensor_requests_published_and_republished_months(tmp_path):
    with FakeCkan() as fake:
        fake.add_resource(SNOMED_PACKAGE, "EPD_SNOMED_202601", "2026-03-16T09:12:33", None)
        fake.add_resource(SNOMED_PACKAGE, "EPD_SNOMED_202602", "2026-04-15T09:00:00", None)
        settings = MsiSettings(data_dir=str(tmp_path), source="nhsbsa", ckan_base_url=fake.base_url)
        with dg.build_sensor_context(resources={"msi": settings}) as context:
            first = nhsbsa_publication_sensor(context)
        assert [r.partition_key for r in first.run_requests] == ["2026-01-01", "2026-02-01"]
        with dg.build_sensor_context(cursor=first.cursor, resources={"msi": settings}) as context:
            assert nhsbsa_publication_sensor(context).run_requests == []
        fake.set_last_modified("EPD_SNOMED_202601", "2026-05-20T08:00:00")
        with dg.build_sensor_context(cursor=first.cursor, resources={"msi": settings}) as context:
            third = nhsbsa_publication_sensor(context)
        assert [(r.partition_key, r.tags["msi/trigger"]) for r in third.run_requests] == [("2026-01-01", "republished")]


def test_sensor_skips_when_not_watching_nhsbsa(tmp_path):
    with dg.build_sensor_context(resources={"msi": MsiSettings(data_dir=str(tmp_path), source="sample")}) as context:
        result = nhsbsa_publication_sensor(context)
    assert isinstance(result, dg.SkipReason)


def test_build_definitions_binds_given_settings(tmp_path):
    settings = MsiSettings(data_dir=str(tmp_path), source="local", epd_dir="/x")
    built = build_definitions(settings)
    assert built.resources["msi"].epd_dir == "/x"
    assert {
        k.to_user_string()
        for k in [dg.AssetKey("epd_source_file"), dg.AssetKey("list_size_source_files"), list_sizes, practice_geography]
    } <= {k.to_user_string() for k in built.resolve_all_asset_keys()}


def test_automation_conditions_chain_indicators_then_the_newest_months_outputs(tmp_path):
    """The chain as Dagster evaluates it (automation.py): a month's practice values -> indicator_values ->
    that newest month's extracts and report, and nothing for older months, even when one is republished."""
    defs = build_definitions(MsiSettings(data_dir=str(tmp_path)))
    instance = dg.DagsterInstance.ephemeral()

    def landed(key: str, month: str | None = None) -> None:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key=key, partition=f"{month}-01" if month else None)
        )

    def requested(cursor) -> tuple[dict, object]:
        looked = dg.evaluate_automation_conditions(defs, instance, cursor=cursor)
        keys = ("indicator_values", "icb_extracts", "report_site", "signals_email", "indicator_practice_values")
        wanted = {k: looked.get_requested_partitions(dg.AssetKey(k)) for k in keys}
        return {k: v for k, v in wanted.items() if v}, looked.cursor

    seen, cursor = requested(None)
    assert seen == {}  # nothing has happened yet
    landed("indicator_practice_values", "2026-05")
    landed("indicator_practice_values", "2026-06")
    seen, cursor = requested(cursor)
    assert seen == {"indicator_values": {None}}  # every month's org levels, once; no outputs before them
    landed("indicator_values")
    seen, cursor = requested(cursor)
    assert seen == {"icb_extracts": {"2026-06-01"}, "report_site": {"2026-06-01"}}  # the newest month only
    landed("icb_extracts", "2026-06")
    landed("report_site", "2026-06")
    assert requested(cursor)[0] == {}  # the chain ends (the e-mail is the e-mail sensor's)

    landed("indicator_practice_values", "2026-05")  # NHSBSA republishes an older month
    seen, cursor = requested(cursor)
    assert seen == {"indicator_values": {None}}
    landed("indicator_values")
    seen, cursor = requested(cursor)
    assert seen == {"icb_extracts": {"2026-06-01"}, "report_site": {"2026-06-01"}}  # still the newest month's


def test_patient_level_assets_exist_only_when_an_extract_is_configured(tmp_path):
    plain = {
        k.to_user_string() for k in build_definitions(MsiSettings(data_dir=str(tmp_path))).resolve_all_asset_keys()
    }
    with_extract = build_definitions(MsiSettings(data_dir=str(tmp_path), patient_level_dir=str(tmp_path / "x")))
    keys = {k.to_user_string() for k in with_extract.resolve_all_asset_keys()}
    assert not {"patient_extract", "patient_indicator_practice"} & plain
    assert {"patient_extract", "patient_indicator_practice"} <= keys
    monthly = with_extract.resolve_job_def("monthly_job")
    assert "patient_indicator_practice" in {k.to_user_string() for k in monthly.asset_layer.executable_asset_keys}
