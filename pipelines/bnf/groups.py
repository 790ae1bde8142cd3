"""Drug groups resolved by ingredient and BNF class (indicators/shared/drug_groups.yaml) against NHSBSA's
real BNF lists and, for a month, the codes and names the month itself carries.

A presentation's text is everything that can name its ingredients: its own names (both releases' styles),
its chemical substance's names in both lists (by the code's first nine characters, so an abbreviated 2020
name, or a brand whose name says nothing, still has its chemical's name), its product's names, and the names
of its generic equivalent (the code with product "AA" and the last two characters as its strength: a brand
such as Coversyl Plus inherits "Perindopril erbumine 4mg / Indapamide 1.25mg tablets"). An ingredient is a
lower-case spelling found in that text where a word starts; every presentation the BNF files under one of
the group's `classes` is found too; `only`, `exclude` and `include` then shape the group, each with its
reason. A code no list holds and whose name is unknown (a patient-level extract carries codes only) is a
member when its generic equivalent is and the group's code rules keep it (a new brand of a member generic),
or when its whole chemical substance is (every listed presentation of that chemical a member, none left
out).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

import polars as pl

from indicators.catalogue import drug_groups
from indicators.model import DrugGroup, Selection, expand
from pipelines.bnf import lists

IN, LEFT_OUT = "in the group", "left out"


def generic_equivalent(code: str) -> str | None:
    """The generic presentation a 15-character code is equivalent to (itself for a generic); None for
    appliances and codes of another shape."""
    if len(code) != 15:
        return None
    return code[:9] + "AA" + code[13:15] + code[13:15]


@cache
def list_presentations() -> pl.DataFrame:
    """(bnf_code, names, chemical, product) of every presentation of both NHSBSA lists, names joined across
    the two releases' styles with ' | '."""
    frames = [lists.bnf_list(r).with_columns(release=pl.lit(r)) for r in lists.RELEASES]
    both = pl.concat(frames)
    return (
        both.group_by("bnf_code")
        .agg(
            pl.col("bnf_name").unique().sort().str.join(" | ").alias("names"),
            pl.col("chem_name").unique().sort().str.join(" | ").alias("chemical"),
            pl.col("product_name").unique().sort().str.join(" | ").alias("product"),
        )
        .sort("bnf_code")
    )


@cache
def listed_codes() -> tuple[str, ...]:
    """Every presentation code of NHSBSA's two lists, sorted."""
    return tuple(list_presentations()["bnf_code"].to_list())


def presentation_texts(extra: Mapping[str, str] | None = None) -> pl.DataFrame:
    """(bnf_code, names, text) for every listed presentation and every code of `extra` that no list holds
    (code -> its name as a month publishes it): `text` is the lower-case text its ingredients are looked for
    in (names, chemical, product, generic equivalent's names)."""
    if not extra:
        return _list_texts()
    return _texts(extra)


@cache
def _list_texts() -> pl.DataFrame:
    return _texts(None)


def _texts(extra: Mapping[str, str] | None) -> pl.DataFrame:
    base = list_presentations()
    if extra:
        more = pl.DataFrame(
            {"bnf_code": list(extra), "names": list(extra.values())}, schema={"bnf_code": pl.String, "names": pl.String}
        )
        base = pl.concat([base, more.filter(~pl.col("bnf_code").is_in(base["bnf_code"]))], how="diagonal")
    names = dict(zip(base["bnf_code"].to_list(), base["names"].to_list()))
    generic = [names.get(generic_equivalent(c) or "") for c in base["bnf_code"].to_list()]
    # The chemical's names from both lists, by its code: a presentation only the 2020 list holds is named by
    # its chemical's 2024 name too, and a code no list holds by its chemical's.
    return (
        base.with_columns(
            chemical=pl.col("bnf_code").str.slice(0, 9).replace_strict(chemical_names(), default=None),
            generic=pl.Series(generic, dtype=pl.String),
        )
        .with_columns(
            text=pl.concat_str(
                [pl.col("names"), pl.col("chemical"), pl.col("product"), pl.col("generic")],
                separator=" | ",
                ignore_nulls=True,
            ).str.to_lowercase(),
        )
        .select("bnf_code", "names", "text")
    )


@cache
def chemical_names() -> dict[str, str]:
    """chemical code -> its names in both releases, joined."""
    out: dict[str, list[str]] = {}
    for release in lists.RELEASES:
        for code, name in lists.chemicals(release).items():
            out.setdefault(code, [])
            if name not in out[code]:
                out[code].append(name)
    return {k: " | ".join(v) for k, v in out.items()}


def ingredient_pattern(ingredients: Iterable[str]) -> str:
    """Any of the spellings where a word starts (after no letter): "morphine" not in "apomorphine", "opium"
    not in "tiotropium"."""
    return "(?:^|[^a-z])(?:" + "|".join(re.escape(i) for i in ingredients) + ")"


def _picked(selection: Selection, frame: pl.DataFrame) -> pl.Series:
    """Which rows of `frame` a selection picks (its code patterns, or its pattern on the rows' own names)."""
    codes = frame["bnf_code"].to_list()
    by_code = set(expand(selection.filters, codes)) if selection.codes else set()
    hit = frame["bnf_code"].is_in(sorted(by_code))
    if selection.names:
        hit = hit | frame["names"].str.contains("(?i)" + selection.names)
    return hit


def resolve(group: DrugGroup, texts: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every presentation an ingredient names, or `include` adds: (bnf_code, names, status, reason), where
    status is IN or LEFT_OUT and reason says why one is left out (or, for an included one, why added)."""
    texts = presentation_texts() if texts is None else texts
    named: pl.Series | pl.Expr = texts["text"].str.contains(ingredient_pattern(group.ingredients))
    if group.classes:
        named = named | pl.any_horizontal([texts["bnf_code"].str.starts_with(c) for c in group.classes])
    frame = texts.with_columns(named=named, status=pl.lit(None, pl.String), reason=pl.lit(None, pl.String))
    for selection in group.include:
        frame = frame.with_columns(
            status=pl.when(_picked(selection, frame) & pl.col("status").is_null())
            .then(pl.lit(IN))
            .otherwise(pl.col("status")),
            reason=pl.when(_picked(selection, frame) & pl.col("reason").is_null())
            .then(pl.lit("added: " + selection.reason))
            .otherwise(pl.col("reason")),
        )
    frame = frame.filter(pl.col("named") | (pl.col("status") == IN))
    if group.only is not None:
        outside = ~_picked(group.only, frame)
        frame = frame.with_columns(
            status=pl.when(outside).then(pl.lit(LEFT_OUT)).otherwise(pl.col("status")),
            reason=pl.when(outside).then(pl.lit(group.only.reason)).otherwise(pl.col("reason")),
        )
    for selection in group.exclude:
        hit = _picked(selection, frame) & pl.col("status").is_null()
        frame = frame.with_columns(
            status=pl.when(hit).then(pl.lit(LEFT_OUT)).otherwise(pl.col("status")),
            reason=pl.when(hit).then(pl.lit(selection.reason)).otherwise(pl.col("reason")),
        )
    return frame.with_columns(status=pl.col("status").fill_null(IN)).select("bnf_code", "names", "status", "reason")


@cache
def resolved(name: str) -> pl.DataFrame:
    """A group resolved on NHSBSA's lists (resolve), once per process."""
    return resolve(drug_groups()[name])


@cache
def listed_members(name: str) -> frozenset[str]:
    """A group's members among the presentations of NHSBSA's lists."""
    return frozenset(_members(resolved(name)))


@cache
def _whole_chemicals(name: str) -> frozenset[str]:
    """The chemical substances every listed presentation of which is in the group."""
    listed = list_presentations()["bnf_code"]
    frame = pl.DataFrame({"chem": listed.str.slice(0, 9), "member": listed.is_in(sorted(listed_members(name)))})
    return frozenset(frame.group_by("chem").agg(pl.col("member").all()).filter(pl.col("member"))["chem"].to_list())


def _members(resolved: pl.DataFrame) -> list[str]:
    return resolved.filter(pl.col("status") == IN)["bnf_code"].to_list()


def group_members(
    codes: Iterable[str], names: Mapping[str, str] | None = None, wanted: Iterable[str] | None = None
) -> dict[str, set[str]]:
    """For each drug group (or those `wanted`), its members among `codes`: listed presentations as resolved
    from NHSBSA's lists; a code the lists lack resolved from its name in `names` (as a month publishes it)
    if given, else a member when its whole chemical substance is."""
    codes = set(codes)
    unknown = codes.difference(listed_codes())
    named = {c: names[c] for c in unknown if names and names.get(c)}
    groups = drug_groups()
    chosen = list(wanted) if wanted is not None else list(groups)
    out: dict[str, set[str]] = {}
    extra_texts = presentation_texts(named).filter(pl.col("bnf_code").is_in(sorted(named))) if named else None
    for name in chosen:
        members = set(listed_members(name)) & codes
        if extra_texts is not None:
            members |= set(_members(resolve(groups[name], extra_texts)))
        members |= {c for c in unknown - set(named) if _member_by_code(name, c)}
        out[name] = members
    return out


def _member_by_code(name: str, code: str) -> bool:
    """A code with no name known: a member if its generic equivalent is (a new brand of a member generic)
    and the group's code rules keep it, or if its whole chemical substance is in the group."""
    group = drug_groups()[name]
    generic = generic_equivalent(code)
    if generic in listed_members(name):
        kept = group.only is None or not group.only.codes or bool(expand(group.only.filters, [code]))
        return kept and not any(s.codes and expand(s.filters, [code]) for s in group.exclude)
    return code[:9] in _whole_chemicals(name)
