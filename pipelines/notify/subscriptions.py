"""Who gets the monthly signals e-mail: a YAML file, validated when it is read.

    report_url: https://intranet.example.nhs.uk/msi/reports   # optional: where reports/ is published;
                                                              # without it the message links the local file
    subscriptions:
      - icb: QOP                                # the ICB's ODS code (today's ICBs)
        to: [medicines.optimisation@example.nhs.uk]
        indicators: [opioid_high_dose_pct_120]  # optional: only these indicators (default: all)

A mistake (an unknown indicator, an address without '@', an ICB code in neither reference list, a key
nobody reads) stops with one line naming the file, the entry and what to change.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from indicators.catalogue import catalogue
from pipelines.reference import known_icb_codes

# Whole-value patterns (fullmatch): `$` would also match before a trailing newline, which in an address
# would end a message's header block.
ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
ICB_CODE = re.compile(r"[A-Z0-9]{3,5}")


class SubscriptionError(ValueError):
    """The subscriptions file cannot be used; the message says where and why."""


class Subscription(BaseModel):
    model_config = ConfigDict(extra="forbid")
    icb: str
    to: list[str]
    indicators: list[str] | None = None

    @field_validator("icb")
    @classmethod
    def _icb(cls, value: str) -> str:
        if not ICB_CODE.fullmatch(value):
            raise ValueError(f"{value!r} is not an ICB code (3-5 letters and digits, e.g. QOP)")
        if value not in known_icb_codes():
            raise ValueError(
                f"{value!r} is not an ICB in reference/icbs_2022_07_to_2026_03.csv or "
                "reference/icbs_from_2026_04.csv; use the ICB's ODS code (e.g. QOP for NHS Greater "
                "Manchester)"
            )
        return value

    @field_validator("to")
    @classmethod
    def _to(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("give at least one address")
        bad = [a for a in value if not ADDRESS.fullmatch(a)]
        if bad:
            raise ValueError(f"not an e-mail address: {', '.join(repr(a) for a in bad)}")
        return value

    @field_validator("indicators")
    @classmethod
    def _indicators(cls, value: list[str] | None) -> list[str] | None:
        unknown = [i for i in value or [] if i not in catalogue()]
        if unknown:
            raise ValueError(f"unknown indicator(s) {', '.join(unknown)} (see `msi indicators`)")
        return value


class Subscriptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report_url: str | None = None
    subscriptions: list[Subscription]

    def by_icb(self) -> dict[str, list[Subscription]]:
        out: dict[str, list[Subscription]] = {}
        for s in self.subscriptions:
            out.setdefault(s.icb, []).append(s)
        return out


def load_subscriptions(path: Path) -> Subscriptions:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SubscriptionError(
            f"{path}: no subscriptions file; copy pipelines/notify/subscriptions.example.yaml there and edit it"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SubscriptionError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    try:
        return Subscriptions.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SubscriptionError(f"{path}: {where}: {first['msg'].removeprefix('Value error, ')}") from None
