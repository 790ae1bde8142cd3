"""Addresses of the report site's pages, relative to reports/ (the site, the e-mail's link and the console's)."""

from __future__ import annotations

from urllib.parse import urlencode

from pipelines.outputs.wording import safe_code

PAGES = ("index", "icb", "pcn", "practice")


def page_link(kind: str, month: str, code: str | None = None) -> str:
    """'icb.html?code=QOP&month=2026-07'; the England page is 'index.html?month=2026-07'."""
    if kind not in PAGES or (kind != "index" and not safe_code(code)):
        raise ValueError(f"no report page for {kind} {code!r}")
    return f"{kind}.html?" + urlencode({"code": code, "month": month} if kind != "index" else {"month": month})
