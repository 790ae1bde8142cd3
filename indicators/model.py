"""The indicator definition: one YAML file per indicator, validated here when the catalogue loads.

Code-filter grammar (the same idea as OpenPrescribing's measure filters, written down once):

    1001030U0%AC      contains %: a LIKE pattern. CHEM9%SS = chemical (9 chars), any product (generic AA or
                      any brand), strength/formulation SS: every brand of one strength. `_` = one character.
    1001030U0AAACAC   a full presentation code (15 characters; 11 for appliances): that code exactly.
    100101            anything shorter: a prefix (BNF chapter, section, paragraph or chemical).
    ~0407020ADBQACAH  a leading ~ excludes whatever the rest matches.
    text after #      a comment.

A code matches a list when it matches any include and no exclude. Only digits, capital letters, % and _
may appear; every filter must start with the two-digit BNF chapter.
"""

from __future__ import annotations

import bisect
import builtins
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_FILTER = re.compile(r"~?[0-9]{2}[0-9A-Z%_]*|~?@[a-z][a-z0-9_]*")  # a BNF code pattern, or @ a drug group
Measure = Literal["items", "quantity", "adq", "ome_mg"]
ListSize = Literal["patients", "aged_65_plus", "female_13_54", "adults"]
Unit = Literal["percent", "per_1000", "per_1000_per_day", "count", "ratio"]
# Optional Y/N columns of a patient-level extract's registrations (pipelines/datasets/patient/contract.py
# reads its optional columns from here): a rule naming one counts only the patients flagged Y.
RegistrationFlag = Literal["learning_disability_or_autism"]

# The list-size denominators in words (sql/indicators/practice_values.sql: adults are 18+, 18-19 estimated).
POPULATIONS = {
    "patients": "patients",
    "aged_65_plus": "patients aged 65+",
    "female_13_54": "females aged 13–54",
    "adults": "adults aged 18+",
}
UNIT_LABELS = {
    "percent": "%",
    "per_1000": "per 1,000 patients",
    "per_1000_per_day": "per 1,000 patients per day",
    "count": "count",
    "ratio": "ratio",
}


@dataclass(frozen=True)
class CodeFilter:
    text: str
    exclude: bool
    kind: Literal["like", "exact", "prefix", "group"]
    pattern: str  # for a group: its name in indicators/shared/drug_groups.yaml

    @classmethod
    def parse(cls, raw: str) -> CodeFilter:
        text = raw.split("#", 1)[0].strip()
        if not _FILTER.fullmatch(text):
            raise ValueError(
                f"bad code filter {raw!r}: use digits, capitals, % or _ after the 2-digit BNF chapter, or @ and a "
                "drug group's name, optionally with a leading ~"
            )
        exclude = text.startswith("~")
        body = text.lstrip("~")
        if body.startswith("@"):
            return cls(text, exclude, "group", body[1:])
        kind: Literal["like", "exact", "prefix"]
        if "%" in body or "_" in body:
            kind = "like"
        elif len(body) == 15 or (len(body) == 11 and body[:2] in ("20", "21", "22", "23")):
            kind = "exact"
        elif len(body) > 15:
            raise ValueError(f"bad code filter {raw!r}: longer than a BNF presentation code")
        else:
            kind = "prefix"
        return cls(text, exclude, kind, body)

    def matches(self, code: str) -> bool:
        if self.kind == "group":
            raise ValueError(f"{self.text}: a drug group is matched through expand(), which knows its members")
        if self.kind == "exact":
            return code == self.pattern
        if self.kind == "prefix":
            return code.startswith(self.pattern)
        return _like(self.pattern).fullmatch(code) is not None


_LIKE_CACHE: dict[str, re.Pattern] = {}


def _like(pattern: str) -> re.Pattern:
    if pattern not in _LIKE_CACHE:
        _LIKE_CACHE[pattern] = re.compile(
            "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern), re.DOTALL
        )
    return _LIKE_CACHE[pattern]


@lru_cache(maxsize=16)
def _ordered(codes: tuple[str, ...]) -> tuple[list[str], frozenset[str]]:
    """The codes sorted and as a set, kept for the few code lists a run expands against again and again."""
    return sorted(set(codes)), frozenset(codes)


def expand(filters: list[CodeFilter], codes, groups: Mapping[str, set[str]] | None = None) -> list[str]:
    """The codes (from `codes`) that a filter list selects, sorted: those an include filter matches and no
    exclude filter does. Each filter looks only at the codes that begin with its literal part (a range of
    the sorted codes), so a month's ~20,000 codes are not each tried against every filter. A drug group
    (@name) selects its members among `codes`: `groups` maps each group to its member codes
    (pipelines/bnf/groups.py resolves them from NHSBSA's lists and the codes' own names)."""
    codes = codes if isinstance(codes, tuple) else tuple(codes)
    # Only the large lists (NHSBSA's, a month's) are kept: one-code calls must not push them out of the cache.
    ordered, members = _ordered(codes) if len(codes) > 1000 else (sorted(set(codes)), frozenset(codes))

    def selected(wanted: list[CodeFilter]) -> set[str]:
        out: set[str] = set()
        for f in wanted:
            if f.kind == "group":
                if groups is None or f.pattern not in groups:
                    raise ValueError(f"{f.text}: no members given for drug group {f.pattern!r}")
                out.update(members.intersection(groups[f.pattern]))
                continue
            literal = re.split(r"[%_]", f.pattern, maxsplit=1)[0]
            start = bisect.bisect_left(ordered, literal)
            end = bisect.bisect_left(ordered, literal + "\U0010ffff")
            out.update(c for c in ordered[start:end] if f.matches(c))
        return out

    return sorted(selected([f for f in filters if not f.exclude]) - selected([f for f in filters if f.exclude]))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    name: str
    url: str | None = None
    note: str | None = None


class CodeSet(_Strict):
    """A list of code filters with what it means, in words."""

    description: str
    codes: list[str] = Field(min_length=1)

    @field_validator("codes")
    @classmethod
    def _check_filters(cls, codes: list[str]) -> list[str]:
        parsed = [CodeFilter.parse(c) for c in codes]
        if all(f.exclude for f in parsed):
            raise ValueError("a code list needs at least one include, not only ~exclusions")
        return codes

    @property
    def filters(self) -> list[CodeFilter]:
        return [CodeFilter.parse(c) for c in self.codes]


class Selection(_Strict):
    """Presentations picked by code filters (BNF patterns, no groups) or by a pattern on their published
    names (a regular expression, case-insensitive), and why."""

    codes: list[str] = []
    names: str | None = None
    reason: str = Field(min_length=10)

    @model_validator(mode="after")
    def _something(self):
        if not self.codes and not self.names:
            raise ValueError("a selection needs `codes` or `names`")
        for f in self.filters:
            if f.kind == "group" or f.exclude:
                raise ValueError(f"{f.text}: a selection takes BNF code patterns only (no @group, no ~)")
        if self.names is not None:
            try:
                re.compile(self.names)
            except re.error as exc:
                raise ValueError(f"names {self.names!r} is not a regular expression: {exc}") from None
        return self

    @property
    def filters(self) -> list[CodeFilter]:
        return [CodeFilter.parse(c) for c in self.codes]


class ScopeDifference(Selection):
    """Presentations on one side only of a comparison with a cited source: `added` (ours, not the source's)
    or `left_out` (the source's, not ours), with the reason."""

    kind: Literal["added", "left_out"]


class Citation(_Strict):
    """A drug group set against the list of a source it follows (a name in shared/cited_lists.yaml), with
    every presentation on one side only declared."""

    list: str
    differences: builtins.list[ScopeDifference] = []  # (the field `list` hides the builtin in this class)


class DrugGroup(_Strict):
    """A drug group defined by its ingredients: every presentation of NHSBSA's lists, in any BNF chapter,
    whose names, product or generic equivalent name an ingredient, or whose chemical substance (the code's
    first nine characters) is named by one in either list, or that the BNF files under one of the group's
    `classes`; narrowed by `only`, less each `exclude`, plus each `include` (a product whose names show no
    ingredient). Every presentation so found and left out has a stated reason
    (tests/reference/test_drug_groups.py)."""

    description: str
    ingredients: list[str] = Field(min_length=1)  # lower-case spellings, matched where a word starts
    # The BNF's own filing of the class (section, paragraph or chemical codes): every chemical under them is
    # in the group or left out below with its reason, so a chemical no spelling names cannot be missed.
    classes: list[str] = []
    only: Selection | None = None
    exclude: list[Selection] = []
    include: list[Selection] = []
    cites: list[Citation] = []  # the sources' lists it follows, each difference declared

    @field_validator("classes")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not re.fullmatch(r"[0-9]{4}[0-9A-Z]{0,5}", v)]
        if bad:
            raise ValueError(f"classes are BNF section, paragraph or chemical codes (4 to 9 characters): {bad}")
        return value

    @field_validator("ingredients")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v != v.lower() or len(v) < 4]
        if bad:
            raise ValueError(f"ingredients are lower-case spellings of 4 characters or more: {bad}")
        return value


class CitedList(_Strict):
    """The code list of a source an indicator cites, as data with where it comes from: an OpenPrescribing
    measure's BNF filters as published (repository, commit, file), a measure's dm+d rule put in the drug
    groups' terms (`rule`, when the measure has no BNF list), or an OpenSAFELY PINCER code list
    (reference/sources/pincer/pincer-<name>.csv, dm+d concepts, matched to BNF presentations by
    pipelines/bnf/pincer.py)."""

    description: str
    source: Literal["openprescribing", "pincer"]
    measure: str | None = None  # OpenPrescribing's measure id
    repository: str | None = None
    commit: str | None = None  # the commit the file was read at ("<sha>^": the one before it)
    path: str | None = None
    codes: list[str] = []  # the BNF filters as the measure publishes them
    rule: DrugGroup | None = None  # a dm+d rule in ingredient terms, where the measure has no BNF list
    pincer: str | None = None  # the PINCER list's name (pincer-<name>.csv)

    @model_validator(mode="after")
    def _complete(self):
        if self.source == "openprescribing":
            missing = [f for f in ("measure", "repository", "commit", "path") if not getattr(self, f)]
            if missing:
                raise ValueError(f"an OpenPrescribing list names its {', '.join(missing)}")
            if bool(self.codes) == bool(self.rule):
                raise ValueError("an OpenPrescribing list has either `codes` (BNF filters) or a `rule`")
            if self.commit and not re.fullmatch(r"[0-9a-f]{7,40}\^?", self.commit):
                raise ValueError(f"commit {self.commit!r} is not a git commit")
            for raw in self.codes:
                if CodeFilter.parse(raw).kind == "group":
                    raise ValueError(f"{raw}: a published list holds BNF filters only")
        elif not self.pincer or self.codes or self.rule:
            raise ValueError("a PINCER list names its file (`pincer`) and nothing else")
        return self


class CitedScope(_Strict):
    """One of our code lists against the list of a source the definition cites (an OpenPrescribing measure,
    a PINCER code list), with every difference declared; tests/reference/test_cited_scopes.py resolves both
    on NHSBSA's lists and fails on a difference no declaration covers, or a declaration that covers none."""

    source: str  # the source, as the definition's `sources` name it
    ours: str  # numerator, denominator, component_1.., or @group (a drug group a patient rule uses)
    theirs: list[str] = Field(min_length=1)  # the source's list: BNF patterns as published, or @ a cited list
    note: str | None = None  # what the source's list is, where it is not published as BNF codes
    differences: list[ScopeDifference] = []

    @field_validator("ours")
    @classmethod
    def _ours(cls, value: str) -> str:
        if not re.fullmatch(r"numerator|denominator|component_[1-9]|@[a-z][a-z0-9_]*", value):
            raise ValueError(f"ours {value!r}: numerator, denominator, component_N or @group")
        return value

    @field_validator("theirs")
    @classmethod
    def _theirs(cls, value: list[str]) -> list[str]:
        for raw in value:
            CodeFilter.parse(raw)
        return value


class _OptionalCodes(_Strict):
    """A numerator or denominator that may carry a code list."""

    codes: list[str] | None = None

    @field_validator("codes")
    @classmethod
    def _check_filters(cls, codes):
        return CodeSet._check_filters(codes) if codes is not None else codes

    @property
    def filters(self) -> list[CodeFilter]:
        return [CodeFilter.parse(c) for c in self.codes or []]


class PatientRule(_Strict):
    """Who counts, for a patient-level (grain `patient`) numerator or denominator, in the three calendar
    months ending with the reporting month. Every patient registered at a practice on the month's last day
    is considered (and counted at that practice); ages are in whole years on that day."""

    sex: Literal["F", "M"] | None = None
    age_min: int | None = Field(default=None, ge=0)
    age_max: int | None = Field(default=None, ge=0)
    issued_all: list[str] = []  # drug groups each issued at least once in the window
    issued_none: list[str] = []  # drug groups not issued at all in the window
    # The issued_all groups issued close together: some issue of the first group has an issue of every
    # other group fewer than this many days before or after it (PINCER's co-prescription rule, 28 days).
    co_issued_within_days: int | None = Field(default=None, gt=0)
    # Average daily oral morphine equivalent over the window (all opioid analgesics summed) at least the
    # named threshold (a key of `thresholds`).
    min_ome_mg_per_day: str | None = None
    # Only patients whose registration is flagged Y in each of these optional columns. An indicator whose
    # rules name a flag is computed only from an extract that carries it (never as zero without it).
    flagged: list[RegistrationFlag] = []

    @model_validator(mode="after")
    def _sensible(self):
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError("age_min is above age_max")
        if self.co_issued_within_days and len(self.issued_all) < 2:
            raise ValueError("co_issued_within_days needs two or more issued_all groups")
        return self

    @property
    def groups(self) -> list[str]:  # checked against indicators/shared/drug_groups.yaml at load
        return [*self.issued_all, *self.issued_none]


class Numerator(_OptionalCodes):
    description: str
    measure: Measure | Literal["expected_co_exposure", "patients"] = "items"
    patients: PatientRule | None = None
    # expected_co_exposure: the first component independent of the rest, the rest overlapping fully
    # (see indicators/README.md); each component's volume is its ADQs per day.
    components: list[CodeSet] | None = None

    @model_validator(mode="after")
    def _one_kind(self):
        if (self.measure == "patients") != (self.patients is not None):
            raise ValueError("measure `patients` goes with a `patients` rule, and only with it")
        if self.measure == "patients":
            if self.codes or self.components:
                raise ValueError("a `patients` numerator takes no `codes` or `components`")
            return self
        if self.measure == "expected_co_exposure":
            if not self.components or len(self.components) < 2 or self.codes:
                raise ValueError("expected_co_exposure needs two or more `components` and no `codes`")
        elif not self.codes or self.components:
            raise ValueError(f"measure {self.measure} needs `codes` (and no `components`)")
        return self


class Denominator(_OptionalCodes):
    description: str
    measure: Measure | Literal["patients"] | None = None
    list_size: ListSize | None = None
    patients: PatientRule | None = None

    @model_validator(mode="after")
    def _one_kind(self):
        if self.patients is not None or self.measure == "patients":
            if self.patients is None or self.measure != "patients" or self.codes or self.list_size:
                raise ValueError("a patient-level denominator has `measure: patients` and a `patients` rule only")
            return self
        if (self.codes is None) == (self.list_size is None):
            raise ValueError("a denominator has either `codes` (with a `measure`) or a `list_size`, not both")
        if self.codes is not None and self.measure is None:
            raise ValueError("a denominator of `codes` needs a `measure`")
        return self


class Indicator(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]+$")
    title: str
    short_title: str = Field(max_length=30)  # a table's column heading: the England matrix fits 1,400 px
    short_description: str
    why_it_matters: str
    numerator: Numerator
    denominator: Denominator | None = None
    unit: Unit
    low_is_good: bool | None
    grain: Literal["practice_aggregate", "patient"]
    proxy: bool = False
    limitations: list[str] = []
    sources: list[Source] = Field(min_length=1)
    definition_version: str
    thresholds: dict[str, float] = {}
    low_numbers_below: float = Field(ge=0, description="denominator below this flags low numbers")
    tags: list[str] = []
    proxy_of: list[str] = []  # grain `patient`: the public-data proxies it is the true version of
    cited_scope: list[CitedScope] = []  # our code lists against the cited sources' lists, differences declared
    # How much harm a signal can mean (the signal model's harm rank, pipelines/outputs/signals.py): `high`
    # signals lead every list and are never hidden by the small-numbers rule meant for rates.
    # The safety concern it measures (methotrexate, valproate, opioid_high_dose ...): indicators of one concern
    # are one line per practice on the short list (pipelines/outputs/signals.py) and one column group.
    concern: str = Field(pattern=r"^[a-z][a-z0-9_]+$")
    severity: Literal["high", "medium", "low"]
    harm_reason: str = Field(min_length=20)  # why this tier: said beside every priority (signals.py)
    # What to do about a signal, in one sentence, on every short list: it ends with one full stop or question
    # mark (a "dose?." once reached every report, workbook and e-mail).
    action: str = Field(min_length=10, pattern=r"[^.?!][.?!]$")
    # Every item is a signal, whatever the rates say (methotrexate 10 mg tablets: each one is worth a review).
    signal_on_any_item: bool = False

    @model_validator(mode="after")
    def _coherent(self):
        if self.proxy and not self.limitations:
            raise ValueError("an ecological proxy must state its limitations")
        if self.signal_on_any_item and (self.unit != "count" or self.low_is_good is not True):
            raise ValueError("signal_on_any_item is for counts where lower is better (any item is worth a review)")
        if self.grain == "patient":
            return self._patient_coherent()
        if self.numerator.patients or (self.denominator and self.denominator.patients) or self.proxy_of:
            raise ValueError("patient rules and proxy_of belong to grain `patient` only")
        d = self.denominator
        if self.unit == "count":
            if d is not None:
                raise ValueError("unit `count` takes no denominator")
        elif d is None:
            raise ValueError(f"unit `{self.unit}` needs a denominator")
        elif self.unit in ("per_1000", "per_1000_per_day") and d.list_size is None:
            raise ValueError(f"unit `{self.unit}` needs a list-size denominator")
        elif self.unit in ("percent", "ratio") and d.codes is None:
            raise ValueError(f"unit `{self.unit}` needs a prescribing (codes) denominator")
        if self.numerator.measure == "expected_co_exposure" and (d is None or d.list_size is None):
            raise ValueError("expected_co_exposure needs a list-size denominator (the population)")
        return self

    def _patient_coherent(self):
        if self.proxy:
            raise ValueError("a patient-level indicator counts patients; it is not a proxy")
        if self.numerator.patients is None:
            raise ValueError("grain `patient` needs a `patients` numerator")
        d = self.denominator
        if self.unit not in ("percent", "per_1000", "count"):
            raise ValueError(f"unit `{self.unit}` does not fit a count of patients")
        if (self.unit == "count") != (d is None):
            raise ValueError("a patient count has no denominator; a rate or percentage needs a `patients` one")
        if d is not None and d.patients is None:
            raise ValueError("grain `patient` needs a `patients` denominator")
        for rule in (self.numerator.patients, d.patients if d else None):
            if rule is None:
                continue
            if rule.min_ome_mg_per_day and rule.min_ome_mg_per_day not in self.thresholds:
                raise ValueError(f"threshold {rule.min_ome_mg_per_day!r} is not in thresholds")
        n = self.numerator.patients
        if d is not None and d.patients is not None and n is not None and set(n.flagged) != set(d.patients.flagged):
            raise ValueError("numerator and denominator must name the same `flagged` columns (one population)")
        return self

    @property
    def registration_flags(self) -> set[str]:
        """The optional registration columns this indicator needs (empty for every public indicator)."""
        rules = [p.patients for p in (self.numerator, self.denominator) if p is not None and p.patients]
        return {flag for rule in rules for flag in rule.flagged}

    @property
    def multiplier(self) -> float:
        return {"percent": 100.0, "per_1000": 1000.0, "per_1000_per_day": 1000.0}.get(self.unit, 1.0)

    @property
    def unit_label(self) -> str:
        """The unit in words, the population from the denominator ("per 1,000 females aged 13-54"): one
        place, so the catalogue, pages, workbooks and e-mail say the same."""
        if self.unit in ("per_1000", "per_1000_per_day"):
            return f"per 1,000 {self.population}" + (" per day" if self.unit == "per_1000_per_day" else "")
        if self.unit == "count":
            return "patients" if self.grain == "patient" else "items"
        if self.unit == "percent" and self.denominator is not None:
            return f"% of {self.population}" if self.grain == "patient" else "% of items"
        return UNIT_LABELS[self.unit]

    @property
    def population(self) -> str:
        """Who the denominator counts, in words: a list-size population or a patient rule's sex and ages."""
        d = self.denominator
        if d is None:
            return ""
        if d.list_size is not None:
            return POPULATIONS[d.list_size]
        rule = d.patients
        if rule is None:
            return "items"
        who = {"F": "female patients", "M": "male patients"}.get(rule.sex or "", "patients")
        if rule.age_min is not None and rule.age_max is not None:
            return f"{who} aged {rule.age_min}–{rule.age_max}"
        if rule.age_min is not None:
            return f"{who} aged {rule.age_min}+"
        if rule.age_max is not None:
            return f"{who} aged up to {rule.age_max}"
        return who

    @property
    def basis(self) -> str:
        """What the numbers are, in words every output shows next to them."""
        if self.grain == "patient":
            return "patient-level extract: patients counted (published counts rounded to 5; 1-7 suppressed)"
        return "public EPD data: ecological proxy, not a count of patients" if self.proxy else "public EPD data"

    @property
    def direction(self) -> str:
        if self.low_is_good is None:
            return "no judgement: context measure"
        return "lower is better" if self.low_is_good else "higher is better"

    @property
    def worse_side(self) -> str | None:
        """The side of a limit that is worse: 'above' where lower is better; None where no judgement is made."""
        return None if self.low_is_good is None else ("above" if self.low_is_good else "below")
