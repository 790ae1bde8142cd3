"""The NHSBSA CKAN client against a local server: choosing resources, downloading, retrying, refusing."""

import json
import zipfile

import pytest

from pipelines.datasets.epd.nhsbsa import LEGACY_PACKAGE, SNOMED_PACKAGE, CkanClient, CkanError, TransientError
from pipelines.datasets.epd.source import locate as locate_epd
from pipelines.wiring.resources import MsiSettings
from pipelines.wiring.sensors import publication_requests
from tests.ckan_server import FakeCkan
from tests.epd_fixtures import LEGACY_ICB_HEADER, legacy_rows

CSV = LEGACY_ICB_HEADER + legacy_rows(b"202601")


@pytest.fixture
def ckan():
    with FakeCkan() as fake:
        fake.add_resource(LEGACY_PACKAGE, "EPD_202010", "2021-01-14T10:00:00", None, CSV)
        fake.add_resource(LEGACY_PACKAGE, "EPD_202506", "2025-08-14T10:00:00", None, CSV)
        fake.add_resource(SNOMED_PACKAGE, "EPD_SNOMED_202506", "2025-08-15T10:00:00", "2025-08-19T11:00:00", CSV)
        fake.add_resource(SNOMED_PACKAGE, "EPD_SNOMED_202601", "2026-03-16T09:12:33", None, CSV)
        fake.packages[SNOMED_PACKAGE].append({"id": "x", "name": "EPD_SNOMED data dictionary", "created": "2026-01-01"})
        yield fake


def client(fake, attempts=3):
    return CkanClient(fake.base_url, attempts=attempts, backoff_seconds=0)


def test_months_by_resource_name_preferring_snomed(ckan):
    months = client(ckan).available_months()
    assert sorted(months) == ["2020-10", "2025-06", "2026-01"]  # the data dictionary resource is ignored
    assert months["2025-06"].name == "EPD_SNOMED_202506"  # both datasets cover it: SNOMED wins
    assert months["2020-10"].name == "EPD_202010"  # only the retired dataset covers it
    assert months["2025-06"].published == "2025-08-19T11:00:00"  # last_modified ...
    assert months["2026-01"].published == "2026-03-16T09:12:33"  # ... else created


def test_unpublished_month_is_a_clear_error(ckan):
    with pytest.raises(CkanError, match="NHSBSA has not published EPD for 2026-09 \\(latest is 2026-01\\)"):
        client(ckan).resource("2026-09")


def test_download_success(ckan, tmp_path):
    c = client(ckan)
    path = c.download(c.resource("2026-01"), tmp_path)
    assert path.name == "EPD_SNOMED_202601.zip"
    with zipfile.ZipFile(path) as zf:
        assert zf.read("EPD_SNOMED_202601.csv") == CSV
    record = json.loads((tmp_path / "source.json").read_text())
    assert record["published"] == "2026-03-16T09:12:33" and record["resource_id"] == c.resource("2026-01").resource_id
    assert not list(tmp_path.glob("*.part"))


def test_expired_link_gets_a_fresh_one(ckan, tmp_path):
    ckan.plan["EPD_SNOMED_202601"] = ["expired", "ok"]
    c = client(ckan)
    path = c.download(c.resource("2026-01"), tmp_path)
    assert path.is_file()
    assert sum(call.startswith("resource_show") for call in ckan.calls) == 2  # asked again for a new link


def test_persistent_failure_gives_up_and_leaves_nothing(ckan, tmp_path):
    ckan.plan["EPD_SNOMED_202601"] = ["error"] * 5
    c = client(ckan, attempts=3)
    with pytest.raises(TransientError, match="EPD_SNOMED_202601: HTTP 503"):
        c.download(c.resource("2026-01"), tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert sum(call.startswith("EPD_SNOMED_202601.ZIP") for call in ckan.calls) == 3


@pytest.mark.parametrize("behaviour", ["truncated", "corrupt"])
def test_truncated_download_is_retried(ckan, tmp_path, behaviour):
    ckan.plan["EPD_SNOMED_202601"] = [behaviour, "ok"]
    c = client(ckan)
    path = c.download(c.resource("2026-01"), tmp_path)
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None


@pytest.mark.parametrize(
    "behaviour, message",
    [
        ("truncated", "truncated|interrupted"),
        ("corrupt", "not a complete ZIP"),
    ],
)
def test_always_truncated_download_fails(ckan, tmp_path, behaviour, message):
    ckan.plan["EPD_SNOMED_202601"] = [behaviour] * 3
    c = client(ckan, attempts=3)
    with pytest.raises(TransientError, match=message):
        c.download(c.resource("2026-01"), tmp_path)
    assert not (tmp_path / "EPD_SNOMED_202601.zip").exists()


def test_republished_month_is_downloaded_again_and_unchanged_month_is_not(ckan, tmp_path):
    settings = MsiSettings(data_dir=str(tmp_path), source="nhsbsa", ckan_base_url=ckan.base_url)
    downloads = lambda: sum(call.startswith("EPD_SNOMED_202601.ZIP") for call in ckan.calls)  # noqa: E731
    first = locate_epd(settings, "2026-01")
    assert downloads() == 1 and first["published"] == "2026-03-16T09:12:33"
    locate_epd(settings, "2026-01")
    assert downloads() == 1  # same publication: nothing fetched
    ckan.set_last_modified("EPD_SNOMED_202601", "2026-05-20T08:00:00")  # NHSBSA republishes
    again = locate_epd(settings, "2026-01")
    assert downloads() == 2 and again["published"] == "2026-05-20T08:00:00"


def test_publication_requests_new_and_republished_months(ckan):
    keys = {"2025-06-01", "2026-01-01"}  # 2020-10 lies before the deployment's first month
    available = client(ckan).available_months()
    requests, cursor = publication_requests(available, {}, keys)
    assert [r.partition_key for r in requests] == ["2025-06-01", "2026-01-01"]
    assert all(r.tags["msi/trigger"] == "published" for r in requests)
    again, cursor2 = publication_requests(available, cursor, keys)
    assert again == [] and cursor2 == cursor
    ckan.set_last_modified("EPD_SNOMED_202601", "2026-05-20T08:00:00")
    republished, _ = publication_requests(client(ckan).available_months(), cursor, keys)
    assert [(r.partition_key, r.tags["msi/trigger"]) for r in republished] == [("2026-01-01", "republished")]
    assert republished[0].run_key == "EPD_SNOMED_202601@2026-05-20T08:00:00"


def test_missing_retired_dataset_is_tolerated_but_missing_live_one_is_not():
    with FakeCkan() as fake:
        fake.add_resource(SNOMED_PACKAGE, "EPD_SNOMED_202601", "2026-03-16T09:12:33", None, CSV)
        assert list(client(fake).available_months()) == ["2026-01"]
    with FakeCkan() as fake:
        fake.add_resource(LEGACY_PACKAGE, "EPD_202506", "2025-08-14T10:00:00", None, CSV)
        with pytest.raises(CkanError, match="english-prescribing-dataset-epd-with-snomed-code.*not found"):
            client(fake).available_months()
