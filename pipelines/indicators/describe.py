"""Human-readable views of the catalogue for `msi indicators`."""

from __future__ import annotations

import csv
from functools import cache

import duckdb

from indicators.model import Indicator
from pipelines.layout import Layout
from pipelines.reference import REFERENCE_DIR
from pipelines.sqlfiles import load_sql
from pipelines.tables import TABLES


def presentations_seen(layout: Layout, months: list[str] | None = None) -> tuple[dict[str, str], str]:
    """BNF code -> name for every presentation the indicator step saw (warehouse/presentations, written
    with each month's practice values; only `months` if given), else the reference table; and which."""
    table = TABLES["presentations"]
    folder = table.root(layout)
    files = [str(f) for f in table.files(layout, months)]
    if files:
        with duckdb.connect() as con:
            seen = con.execute(load_sql("indicators/presentation_names"), {"p": files}).fetchall()
        return dict(seen), f"presentations seen in {folder}"
    with open(REFERENCE_DIR / "bnf_presentations.csv", newline="", encoding="utf-8") as fh:
        rows = {r["bnf_code"]: r["bnf_name"] for r in csv.DictReader(fh)}
    why = (
        "no prescribing in the lake yet"
        if layout.root.is_dir()
        else f"there is no data directory at {layout.root}: give --data-dir to expand against your data"
    )
    return rows, f"reference/bnf_presentations.csv ({why})"


def rule_text(indicator: Indicator, role: str) -> str:
    """A patient-level rule in words: who, and which drug groups were or were not issued in the window."""
    part = indicator.numerator if role == "numerator" else indicator.denominator
    rule = part.patients if part is not None else None
    if rule is None:
        return ""
    who = [{"F": "females", "M": "males"}.get(rule.sex or "", "patients")]
    if rule.age_min is not None or rule.age_max is not None:
        who.append(f"aged {rule.age_min or 0}" + (f"-{rule.age_max}" if rule.age_max is not None else "+"))
    bits = [" ".join(who) + " registered on the month's last day"]
    if rule.issued_all:
        bits.append("issued " + " and ".join(rule.issued_all))
    if rule.issued_none:
        bits.append("not issued " + " or ".join(rule.issued_none))
    if rule.co_issued_within_days:
        bits.append(f"co-issued fewer than {rule.co_issued_within_days} days apart")
    if rule.min_ome_mg_per_day:
        bits.append(f"average OME >= {indicator.thresholds[rule.min_ome_mg_per_day]:g} mg/day")
    return ", ".join(bits) + " (window: the 3 calendar months ending with the month)"


def code_sections(indicator: Indicator) -> list[tuple[str, str, list[str]]]:
    """(heading, description, filters) for each code list of the definition."""
    out = []
    if indicator.grain == "patient":
        from indicators.catalogue import drug_groups

        groups = drug_groups()
        rules = [indicator.numerator.patients, indicator.denominator.patients if indicator.denominator else None]
        names = list(dict.fromkeys(g for r in rules if r for g in r.groups))
        return [(f"drug group {name}", groups[name].description, [f"@{name}"]) for name in names]
    if indicator.numerator.components:
        for i, component in enumerate(indicator.numerator.components, start=1):
            out.append((f"numerator component {i}", component.description, component.codes))
    else:
        out.append(("numerator", indicator.numerator.description, indicator.numerator.codes or []))
    if indicator.denominator is not None and indicator.denominator.codes:
        out.append(("denominator", indicator.denominator.description, indicator.denominator.codes))
    return out


def used_groups(indicator: Indicator) -> list[str]:
    """The drug groups a definition uses, in the order its code lists name them."""
    return list(
        dict.fromkeys(
            f.split("#")[0].strip().lstrip("~")[1:]
            for _, _, filters in code_sections(indicator)
            for f in filters
            if f.split("#")[0].strip().lstrip("~").startswith("@")
        )
    )


def matched(indicator: Indicator, seen: dict[str, str]) -> list[tuple[str, str, list[str], list[str]]]:
    """(heading, description, filters, matched codes) for each code list, expanded against `seen` (code ->
    name), drug groups resolved from NHSBSA's lists and those names."""
    from indicators.model import CodeFilter, expand
    from pipelines.bnf.groups import group_members

    groups = group_members(seen, seen, used_groups(indicator))
    return [
        (heading, description, filters, expand([CodeFilter.parse(f) for f in filters], seen, groups))
        for heading, description, filters in code_sections(indicator)
    ]


@cache
def group_text(name: str, examples: int = 3) -> str:
    """A drug group in words: what it is, its ingredients, and each reason something is left out, with how
    many of NHSBSA's presentations (both lists) that leaves out and a few of their names."""
    import polars as pl

    from indicators.catalogue import drug_groups
    from pipelines.bnf.cited import provenance
    from pipelines.bnf.groups import LEFT_OUT, chemical_names, listed_members
    from pipelines.bnf.groups import resolved as resolved_group

    group = drug_groups()[name]
    resolved = resolved_group(name)
    included = resolved.filter(pl.col("status") != LEFT_OUT).height
    lines = [
        f"@{name}: {group.description.strip()} Ingredients: {', '.join(group.ingredients)}. "
        f"{included:,} presentations of NHSBSA's lists are in."
    ]
    left = (
        resolved.filter(pl.col("status") == LEFT_OUT)
        .group_by("reason", maintain_order=True)
        .agg(pl.len(), pl.col("names").head(examples))
    )
    for reason, count, names in left.iter_rows():
        shown = "; ".join(n.split(" | ")[-1] for n in names)
        lines.append(f"Left out, {count:,} presentation{'s' if count != 1 else ''} ({shown}): {reason}")
    added = resolved.filter(pl.col("reason").str.starts_with("added: "))
    # In the order the presentations they add come in (by code), so that the text is the same on every run
    for reason, count in added.group_by("reason", maintain_order=True).len().iter_rows():
        lines.append(f"Added, {count:,}: {reason.removeprefix('added: ')}")
    members = listed_members(name)
    chemicals = chemical_names()
    per_chemical = pl.DataFrame({"chem": [c[:9] for c in members]}, schema={"chem": pl.String}).group_by("chem").len()
    chems = [f"{chemicals.get(c, c).split(' | ')[-1]} ({c}, {n:,})" for c, n in per_chemical.sort("chem").iter_rows()]
    lines.append(f"Chemicals in ({len(chems)}; BNF chemical code, presentations): {', '.join(chems)}")
    for citation in group.cites:
        lines += cited_lines(provenance(citation.list), members, [f"@{citation.list}"], citation.differences)
    return "\n".join(lines)


def cited_lines(source: str, ours, theirs: list[str], declared) -> list[str]:
    """A comparison with a cited source in words: each declared difference, how many presentations it
    covers and a few of their names."""
    from pipelines.bnf.cited import differences, presentation_names

    names = presentation_names()
    found = differences(ours, theirs, declared)
    total = sum(len(codes) for _, _, codes in found)
    lines = [
        f"Against {source}: "
        + (f"{total:,} presentations differ, each declared below" if total else "the same presentations")
    ]
    for kind, reason, codes in found:
        shown = "; ".join(names.get(c, c).split(" | ")[-1] for c in codes[:3])
        word = "only here" if kind == "added" else "only in the source"
        lines.append(f"  {word}, {len(codes):,} ({shown}): {reason}")
    return lines


def cited_text(indicator: Indicator) -> str:
    """The indicator's own code lists against the sources it cites (its cited_scope), in words."""
    from indicators.model import CodeFilter, expand
    from pipelines.bnf.cited import provenance
    from pipelines.bnf.groups import listed_codes, listed_members

    codes = listed_codes()
    lines = []
    for scope in indicator.cited_scope:
        if scope.ours.startswith("@"):
            ours = set(listed_members(scope.ours[1:]))
        else:
            section = (
                (indicator.numerator.components or [])[int(scope.ours.split("_")[1]) - 1]
                if scope.ours.startswith("component_")
                else getattr(indicator, scope.ours)
            )
            parsed = [CodeFilter.parse(f) for f in section.codes]
            ours = set(
                expand(parsed, codes, {f.pattern: set(listed_members(f.pattern)) for f in parsed if f.kind == "group"})
            )
        cited = [f.pattern for f in map(CodeFilter.parse, scope.theirs) if f.kind == "group"]
        source = "; ".join(provenance(n) for n in cited) if cited else scope.source
        lines += [
            f"{scope.ours}: " + line if i == 0 else line
            for i, line in enumerate(cited_lines(source, ours, scope.theirs, scope.differences))
        ]
    return "\n".join(lines)


def describe(indicator: Indicator, seen: dict[str, str], seen_label: str) -> str:
    lines = [
        f"{indicator.id} — {indicator.title}",
        f"  {indicator.short_description}",
        f"  unit: {indicator.unit_label}; {indicator.direction}; grain: {indicator.grain}; "
        f"definition version {indicator.definition_version}" + ("; ECOLOGICAL PROXY" if indicator.proxy else ""),
        f"  why it matters: {indicator.why_it_matters}",
        f"  numerator: {indicator.numerator.description}",
        f"  denominator: {indicator.denominator.description if indicator.denominator else '(none: a count)'}",
        f"  basis: {indicator.basis}",
    ]
    for role in ("numerator", "denominator"):
        if rule_text(indicator, role):
            lines.append(f"  {role} rule: {rule_text(indicator, role)}")
    if indicator.thresholds:
        lines.append(f"  thresholds: {indicator.thresholds}")
    lines.append(f"  low numbers: denominator below {indicator.low_numbers_below:g}")
    for limitation in indicator.limitations:
        lines.append(f"  limitation: {limitation}")
    for source in indicator.sources:
        lines.append(f"  source: {source.name}" + (f" <{source.url}>" if source.url else ""))
    for name in used_groups(indicator):
        lines += ["  " + line for line in group_text(name).splitlines()]
    lines += ["  " + line for line in cited_text(indicator).splitlines()]
    lines.append(f"  codes expanded against {seen_label}:")
    for heading, description, filters, codes in matched(indicator, seen):
        lines.append(f"  [{heading}] {description}")
        lines.append(f"    filters: {', '.join(f.split('#')[0].strip() for f in filters)}")
        for code in codes:
            lines.append(f"    {code}  {seen[code]}")
        if not codes:
            lines.append("    (no presentation seen matches)")
    return "\n".join(lines)
