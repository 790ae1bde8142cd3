"""Human-readable views of the catalogue for `msi indicators`."""

from __future__ import annotations

import csv

import duckdb

from indicators.model import Indicator, expand
from pipelines.layout import Layout
from pipelines.reference import REFERENCE_DIR


def presentations_seen(layout: Layout) -> tuple[dict[str, str], str]:
    """BNF code -> name for every presentation in the lake (else the reference table), and which."""
    files = layout.lake / "prescribing" / "month=*" / "data.parquet"
    if any((layout.lake / "prescribing").glob("month=*/data.parquet")):
        with duckdb.connect() as con:
            rows = con.execute("SELECT bnf_code, any_value(bnf_name) FROM read_parquet($p) GROUP BY bnf_code",
                               {"p": str(files)}).fetchall()
        return dict(rows), f"presentations seen in {layout.lake / 'prescribing'}"
    with open(REFERENCE_DIR / "bnf_presentations.csv", newline="", encoding="utf-8") as fh:
        rows = {r["bnf_code"]: r["bnf_name"] for r in csv.DictReader(fh)}
    return rows, "reference/bnf_presentations.csv (no prescribing in the lake yet)"


def code_sections(indicator: Indicator) -> list[tuple[str, str, list[str]]]:
    """(heading, description, filters) for each code list of the definition."""
    out = []
    if indicator.numerator.components:
        for i, component in enumerate(indicator.numerator.components, start=1):
            out.append((f"numerator component {i}", component.description, component.codes))
    else:
        out.append(("numerator", indicator.numerator.description, indicator.numerator.codes or []))
    if indicator.denominator is not None and indicator.denominator.codes:
        out.append(("denominator", indicator.denominator.description, indicator.denominator.codes))
    return out


def describe(indicator: Indicator, seen: dict[str, str], seen_label: str) -> str:
    from indicators.model import CodeFilter

    lines = [
        f"{indicator.id} — {indicator.title}",
        f"  {indicator.short_description}",
        f"  unit: {indicator.unit_label}; {indicator.direction}; grain: {indicator.grain}; "
        f"definition version {indicator.definition_version}" + ("; ECOLOGICAL PROXY" if indicator.proxy else ""),
        f"  why it matters: {indicator.why_it_matters}",
        f"  numerator: {indicator.numerator.description}",
        f"  denominator: {indicator.denominator.description if indicator.denominator else '(none: a count)'}",
    ]
    if indicator.thresholds:
        lines.append(f"  thresholds: {indicator.thresholds}")
    lines.append(f"  low numbers: denominator below {indicator.low_numbers_below:g}")
    for limitation in indicator.limitations:
        lines.append(f"  limitation: {limitation}")
    for source in indicator.sources:
        lines.append(f"  source: {source.name}" + (f" <{source.url}>" if source.url else ""))
    lines.append(f"  codes expanded against {seen_label}:")
    for heading, description, filters in code_sections(indicator):
        matched = expand([CodeFilter.parse(f) for f in filters], seen)
        lines.append(f"  [{heading}] {description}")
        lines.append(f"    filters: {', '.join(f.split('#')[0].strip() for f in filters)}")
        for code in matched:
            lines.append(f"    {code}  {seen[code]}")
        if not matched:
            lines.append("    (no presentation seen matches)")
    return "\n".join(lines)
