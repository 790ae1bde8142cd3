"""The toy's sample file: three practices, the counts the tests expect (worked out by hand: 120 + 80 + 0)."""

from pathlib import Path

SAMPLE = "PRACTICE_CODE,VACCINATED\nA81001,120\nA81002,80\nY02345,0\n"


def write_sample(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SAMPLE, encoding="utf-8")
    return path
