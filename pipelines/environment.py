"""Every `MSI_*` environment variable, declared once: what it means, its default, and what a good value is.

Modules read a variable through `value(NAME)`, never `os.environ`; `msi` checks all of them when it starts
(`check()`), and the Dagster code location when it loads (Settings.from_env), so a bad value is one line
naming the variable, the value and what is expected — before any work, not a traceback half-way through.
The README's table of variables is tested against `VARIABLES`. Leaf module: it imports nothing of msi's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EPD_FIRST_MONTH = "2014-01"  # NHSBSA's English Prescribing Dataset starts with January 2014
SOURCES = ("sample", "nhsbsa", "local")
DEFAULT_CKAN_URL = "https://opendata.nhsbsa.net/api/3/action"
# NHS England's Medicines Safety Improvement Programme measures change against calendar 2021.
DEFAULT_BASELINE = "2021-01:2021-12"
_MONTH = r"(20[0-9]{2})-(0[1-9]|1[0-2])"
_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")


class SettingError(ValueError):
    """A variable's value is not what it must be; the message names the variable, the value and what is
    expected."""


def _month(text: str) -> str:
    if not re.fullmatch(_MONTH, text) or text < EPD_FIRST_MONTH:
        raise ValueError(f"a month as YYYY-MM, from {EPD_FIRST_MONTH}")
    return text


def _months(text: str) -> str:
    first, _, last = text.partition(":")
    if not (re.fullmatch(_MONTH, first) and re.fullmatch(_MONTH, last)) or first > last:
        raise ValueError("a period as YYYY-MM:YYYY-MM, the first month not after the last")
    return text


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(f"one of {', '.join(allowed)}")
        return text

    return parse


def _number(minimum: float, whole: bool = False, above: bool = False, maximum: float | None = None):
    def parse(text: str) -> float | int:
        kind = "a whole number" if whole else "a number"
        bound = f"above {minimum:g}" if above else f"at least {minimum:g}"
        bound += f" and at most {maximum:g}" if maximum is not None else ""
        try:
            number = int(text) if whole else float(text)
        except ValueError:
            raise ValueError(f"{kind} {bound}") from None
        if (
            number != number
            or (number <= minimum if above else number < minimum)
            or (maximum is not None and number > maximum)
        ):
            raise ValueError(f"{kind} {bound}")
        return number

    return parse


def _folder(text: str) -> str:
    if not Path(text).expanduser().is_dir():
        raise ValueError("an existing folder (no such folder)")
    return text


def _file(text: str) -> str:
    if not Path(text).expanduser().is_file():
        raise ValueError("an existing file (no such file)")
    return text


def _url(text: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", text):
        raise ValueError("an http:// or https:// URL")
    return text.rstrip("/")


def _postgres_url(text: str) -> str:
    # Dagster's PostgreSQL storage (dagster-postgres 0.29) speaks psycopg2; SQLAlchemy 2.1 reads a plain
    # postgresql:// as psycopg 3, with which Dagster's statements fail. So the driver is named.
    if not re.fullmatch(r"postgresql\+psycopg2://[^\s/]+/[^\s/?]+(\?\S*)?", text.strip()):
        raise ValueError(
            "a PostgreSQL URL naming the psycopg2 driver, postgresql+psycopg2://user:password@host:port/db"
        )
    return text.strip()


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError("true or false")


def _address(text: str) -> str:
    if not _ADDRESS.fullmatch(text.strip()):
        raise ValueError("the sender's e-mail address (one address, like msi@example.nhs.uk)")
    return text.strip()


def _text(text: str) -> str:
    return text.strip()


@dataclass(frozen=True)
class Variable:
    name: str
    parse: Callable[[str], Any]
    default: Any
    meaning: str
    secret: bool = False  # never echoed in an error


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable("MSI_DATA_DIR", _text, "data", "where the lake, warehouse, outputs and logs go (--data-dir)"),
        Variable("MSI_SOURCE", _choice(*SOURCES), "sample", "where scheduled and sensor runs read the EPD (--source)"),
        Variable("MSI_EPD_DIR", _folder, "", "--source local: the folder of EPD files (--epd-dir)"),
        Variable("MSI_LIST_SIZE_DIR", _folder, "", "NHS Digital's files, one YYYY-MM folder a month (--list-size-dir)"),
        Variable("MSI_CKAN_URL", _url, DEFAULT_CKAN_URL, "NHSBSA's CKAN API (--ckan-url)"),
        Variable("MSI_SAMPLE_SCALE", _choice("demo", "national"), "demo", "--source sample: the sample's size"),
        Variable("MSI_PATIENT_LEVEL_DIR", _folder, "", "a patient-level extract, contract v1 (--patient-level)"),
        Variable("MSI_BASELINE", _months, DEFAULT_BASELINE, "the period change is measured against (--baseline)"),
        Variable("MSI_FIRST_MONTH", _month, EPD_FIRST_MONTH, "the first monthly partition"),
        Variable("MSI_LOCK_WAIT", _number(0), 6 * 3600.0, "seconds a writer waits for the data lock"),
        Variable(
            "MSI_OUTPUT_WORKERS",
            _number(0, whole=True, maximum=64),
            0,
            "processes writing the extracts and report (0: up to 4, by the cores)",
        ),
        Variable(
            "MSI_DAGSTER_POSTGRES_URL",
            _postgres_url,
            "",
            "Dagster's run, event and schedule storage in PostgreSQL (unset: SQLite in <data-dir>/dagster_home)",
            secret=True,
        ),
        Variable("MSI_SMTP_HOST", _text, "", "the SMTP server (unset: no e-mail is sent)"),
        Variable("MSI_SMTP_PORT", _number(1, whole=True, maximum=65535), 587, "the SMTP port"),
        Variable("MSI_SMTP_FROM", _address, "", "the sender's address (needed with MSI_SMTP_HOST)"),
        Variable("MSI_SMTP_USER", _text, "", "the SMTP login, if the server asks for one"),
        Variable("MSI_SMTP_PASSWORD", lambda text: text, "", "its password (never logged)", secret=True),
        Variable(
            "MSI_SMTP_STARTTLS",
            _flag,
            None,
            "STARTTLS: required by default; optional (used when offered) for a relay on 127.0.0.1/localhost",
        ),
        Variable("MSI_SMTP_CA_FILE", _file, "", "a CA bundle, for a certificate a private CA signed"),
        Variable("MSI_SMTP_TIMEOUT", _number(0, above=True), 30.0, "seconds to wait for any one SMTP answer"),
        Variable(
            "MSI_SMTP_DEADLINE", _number(0, above=True), 300.0, "seconds for a whole send, every attempt included"
        ),
    )
}


def _checked(variable: Variable, raw: str) -> Any:
    try:
        return variable.parse(raw)
    except ValueError as exc:
        shown = "(hidden)" if variable.secret else repr(raw)
        raise SettingError(
            f"{variable.name}={shown}: expected {exc} (unset: {variable.default!r} — {variable.meaning})"
        ) from None


def value(name: str, env: Mapping[str, str] | None = None) -> Any:
    """The variable's checked value, or its default when it is unset or empty."""
    variable = VARIABLES[name]
    raw = (os.environ if env is None else env).get(name, "")
    return variable.default if raw == "" else _checked(variable, raw)


def check(env: Mapping[str, str] | None = None) -> list[str]:
    """Every set variable checked: the problems, one line each (empty when all are good)."""
    env = os.environ if env is None else env
    problems = []
    for name, variable in VARIABLES.items():
        if env.get(name, "") != "":
            try:
                _checked(variable, env[name])
            except SettingError as exc:
                problems.append(str(exc))
    return problems


def unknown(env: Mapping[str, str] | None = None, also: tuple[str, ...] = ()) -> list[str]:
    """MSI_* variables nobody reads (a misspelt MSI_SMPT_HOST would otherwise send nothing, silently);
    `also`: those a plugged-in channel reads."""
    env = os.environ if env is None else env
    return sorted(k for k in env if k.startswith("MSI_") and k not in VARIABLES and k not in also)
