"""NHSBSA Open Data Portal (CKAN) client for the English Prescribing Dataset.

* `package_show` on both datasets; resources are picked by name (`EPD_SNOMED_YYYYMM`, `EPD_YYYYMM`), never
  by UUID. EPD with SNOMED code is preferred wherever it covers the month (the legacy dataset is retired).
* `resource_show` just before downloading: its `zip_url` is a pre-signed link that expires after about an
  hour, so an expired link (401/403/410) is answered by asking for a fresh one.
* Downloads stream to `<name>.part`, are checked for size (Content-Length and the resource's `size`) and
  for ZIP integrity (every member's CRC), and only then renamed into place. Transient failures (5xx,
  connection errors, truncated bodies) are retried with exponential backoff.
* `created` / `last_modified` are recorded so a republished month is noticed (later batches subsume
  earlier ones); `last_modified` is sometimes null, so `created` is the fallback.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from pipelines.environment import DEFAULT_CKAN_URL

DEFAULT_BASE_URL = DEFAULT_CKAN_URL
SNOMED_PACKAGE = "english-prescribing-dataset-epd-with-snomed-code"
LEGACY_PACKAGE = "english-prescribing-data-epd"
_NAME = re.compile(r"(EPD_SNOMED|EPD)_(\d{4})(\d{2})")


class CkanError(RuntimeError):
    """The portal answered, but not with what we need (a clear, final error)."""


class CkanNotFound(CkanError):
    """The portal has no such package or resource."""


class TransientError(RuntimeError):
    """Worth retrying: server error, dropped connection, truncated or corrupt download."""


class ExpiredLinkError(TransientError):
    """The pre-signed ZIP link was refused; fetch a fresh one from resource_show."""


@dataclass(frozen=True)
class EpdResource:
    month: str  # YYYY-MM
    dataset: str  # snomed | epd
    package: str
    resource_id: str
    name: str
    created: str | None
    last_modified: str | None
    url: str | None = None
    size: int | None = None

    @property
    def published(self) -> str:
        """When this version was published: last_modified, else created."""
        return self.last_modified or self.created or ""


class CkanClient:
    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 60.0,
        attempts: int = 4,
        backoff_seconds: float = 2.0,
        http: httpx.Client | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.attempts = attempts
        self.backoff = backoff_seconds
        self.http = http or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=15.0),
            follow_redirects=True,
            headers={"User-Agent": "msi-medication-safety-indicators"},
        )

    # --- API calls ---------------------------------------------------------------------------------

    def _retrying(self) -> Retrying:
        return Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.backoff, max=60),
            retry=retry_if_exception_type(TransientError),
            reraise=True,
        )

    def _action(self, action: str, **params) -> dict:
        def call() -> dict:
            try:
                resp = self.http.get(f"{self.base_url}/{action}", params=params)
            except httpx.TransportError as exc:
                raise TransientError(f"{action}: {exc}") from exc
            if resp.status_code >= 500:
                raise TransientError(f"{action}: HTTP {resp.status_code}")
            if resp.status_code == 404:
                raise CkanNotFound(f"{action} {params}: not found on the portal")
            if resp.status_code != 200:
                raise CkanError(f"{action} {params}: HTTP {resp.status_code}")
            try:
                body = resp.json()
            except ValueError as exc:
                raise TransientError(f"{action}: response is not JSON") from exc
            if not body.get("success"):
                raise CkanError(f"{action} {params}: portal says {body.get('error')}")
            return body["result"]

        return self._retrying()(call)

    def package_resources(self, package: str) -> list[EpdResource]:
        result = self._action("package_show", id=package)
        out = []
        for res in result.get("resources", []):
            m = _NAME.fullmatch((res.get("name") or "").strip())
            if not m:
                continue
            dataset = "snomed" if m.group(1) == "EPD_SNOMED" else "epd"
            size = res.get("size")
            out.append(
                EpdResource(
                    month=f"{m.group(2)}-{m.group(3)}",
                    dataset=dataset,
                    package=package,
                    resource_id=res["id"],
                    name=res["name"].strip(),
                    created=res.get("created"),
                    last_modified=res.get("last_modified"),
                    url=res.get("url"),
                    size=int(size)
                    if isinstance(size, (int, float)) or (isinstance(size, str) and size.isdigit())
                    else None,
                )
            )
        return out

    def available_months(self) -> dict[str, EpdResource]:
        """Month -> the resource to use, preferring EPD with SNOMED code over the retired dataset."""
        try:
            legacy = self.package_resources(LEGACY_PACKAGE)
        except CkanNotFound:  # the retired dataset may be withdrawn one day; the live one must exist
            legacy = []
        chosen: dict[str, EpdResource] = {}
        for res in legacy + self.package_resources(SNOMED_PACKAGE):
            if res.month not in chosen or res.dataset == "snomed":
                chosen[res.month] = res
        return dict(sorted(chosen.items()))

    def resource(self, month: str) -> EpdResource:
        months = self.available_months()
        if month not in months:
            raise CkanError(f"NHSBSA has not published EPD for {month} (latest is {max(months) if months else 'none'})")
        return months[month]

    def fresh_zip_url(self, resource: EpdResource) -> str:
        result = self._action("resource_show", id=resource.resource_id)
        url = result.get("zip_url") or result.get("url")
        if not url:
            raise CkanError(f"resource_show {resource.name}: no zip_url or url")
        return url

    # --- download ----------------------------------------------------------------------------------

    def download(self, resource: EpdResource, dest_dir: Path) -> Path:
        """Download the month's ZIP into dest_dir (atomically) and write source.json beside it."""
        dest_dir = Path(dest_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        target = dest_dir / f"{resource.name}.zip"
        part = target.with_name(target.name + ".part")

        def attempt() -> None:
            url = self.fresh_zip_url(resource)  # a new pre-signed link for every attempt
            self._stream(url, part, resource)
            _check_zip(part, resource.name)

        try:
            self._retrying()(attempt)
        except Exception:
            part.unlink(missing_ok=True)
            raise
        os.replace(part, target)
        record = {
            **asdict(resource),
            "published": resource.published,
            "file": target.name,
            "bytes": target.stat().st_size,
        }
        (dest_dir / "source.json").write_text(json.dumps(record, indent=2))
        return target

    def _stream(self, url: str, part: Path, resource: EpdResource) -> None:
        written = 0
        try:
            with self.http.stream("GET", url) as resp:
                if resp.status_code in (401, 403, 410):
                    raise ExpiredLinkError(f"{resource.name}: download link refused (HTTP {resp.status_code})")
                if resp.status_code >= 500:
                    raise TransientError(f"{resource.name}: HTTP {resp.status_code}")
                if resp.status_code != 200:
                    raise CkanError(f"{resource.name}: HTTP {resp.status_code} from download link")
                expected = resp.headers.get("content-length")
                with open(part, "wb") as fh:
                    for chunk in resp.iter_bytes(chunk_size=8 * 1024 * 1024):
                        fh.write(chunk)
                        written += len(chunk)
        except httpx.TransportError as exc:  # includes a connection dropped mid-body
            raise TransientError(f"{resource.name}: download interrupted after {written} bytes ({exc})") from exc
        if expected is not None and written != int(expected):
            raise TransientError(f"{resource.name}: got {written} of {expected} bytes (truncated)")
        if resource.size and written != resource.size:
            raise TransientError(f"{resource.name}: got {written} bytes, portal lists {resource.size}")


def _check_zip(path: Path, name: str) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()  # reads every member and checks its CRC-32
    except (zipfile.BadZipFile, EOFError) as exc:
        raise TransientError(f"{name}: downloaded file is not a complete ZIP ({exc})") from exc
    if bad is not None:
        raise TransientError(f"{name}: CRC mismatch in {bad}")
