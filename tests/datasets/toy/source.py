"""Where the toy's file is: data/raw/toy_inbox/<month>.csv, written from the sample when the run uses the
sample and none is there."""

from pathlib import Path

from pipelines.datasets.files import MissingSourceError
from tests.datasets.toy.sample import write_sample


def inbox(settings, month: str) -> Path:
    return settings.layout.raw / "toy_inbox" / f"{month}.csv"


def locate(settings, month: str, log) -> dict:
    path = inbox(settings, month)
    if not path.is_file() and settings.source == "sample":
        write_sample(path)
        log.info(f"wrote the toy sample for {month}")
    if not path.is_file():
        raise MissingSourceError(f"no toy file for {month}: expected {path}")
    return {"source": settings.source, "path": str(path)}


def metadata(record: dict) -> dict:
    return {"source": record["source"], "file": Path(record["path"])}
