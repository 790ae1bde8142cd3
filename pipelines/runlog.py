"""The log file (logs/msi.log under the data directory): tracebacks and everything a run knows go here,
one clear line to the terminal."""

from datetime import UTC, datetime
from pathlib import Path


def write_log(log: Path, what: str, details: str) -> None:
    """Append to the log file; on a full disk there may be no room even for that, and the console's one line
    must still be said."""
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now(UTC).isoformat(timespec='seconds')} {what}\n{details}\n")
    except OSError:
        pass
