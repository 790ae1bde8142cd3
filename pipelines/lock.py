"""One writer at a time per data directory.

Every step that writes the lake, the warehouse, the outputs or the outbox holds `data_lock`: an
exclusive `flock` on <data-dir>/lock. The kernel releases it when its process ends, however it ends, so
a lock left by a killed run is simply free again (nothing to clean up, nothing to take over by hand).
The holder writes who it is into the file, so a second run can say who it waits for.

Within a process the lock is re-entrant for the thread that holds it (a `msi run` job holds it while its
steps take it again) and excludes other threads, as it excludes other processes.
Not for filesystems without `flock` (some NFS mounts): see docs/architecture.md.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from pipelines import environment

LOCK_FILE = "lock"
DEFAULT_WAIT_SECONDS = environment.VARIABLES[
    "MSI_LOCK_WAIT"
].default  # a national month's run is minutes; a backfill's step never holds it hours
POLL_SECONDS = 0.2


class LockTimeout(RuntimeError):
    """The data directory stayed locked by another writer; the message names it."""


class _Held:
    """This process's hold on one lock file: which thread, how deep, the open file."""

    def __init__(self) -> None:
        self.guard = threading.RLock()
        self.depth = 0
        self.handle: TextIO | None = None


_held: dict[str, _Held] = {}
_registry = threading.Lock()


def wait_seconds() -> float:
    """MSI_LOCK_WAIT: how long a writer waits for the lock before giving up (seconds)."""
    try:
        return float(environment.value("MSI_LOCK_WAIT"))
    except environment.SettingError as exc:
        raise LockTimeout(str(exc)) from None


def holder_of(path: Path) -> str:
    """Who holds (or last held) the lock, in words, from what the holder wrote."""
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another process (it wrote nothing readable)"
    if not info:
        return "another process"
    return f"process {info.get('pid')} on {info.get('host')} ({info.get('what')}, since {info.get('since')})"


def _describe(what: str) -> str:
    return json.dumps(
        {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "what": what,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )


@contextmanager
def data_lock(
    root: Path, what: str, wait: float | None = None, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the data directory's write lock while the block runs. `what` says who we are (shown to a
    run that has to wait); `on_wait` hears one line if we have to wait; after `wait` seconds (default
    MSI_LOCK_WAIT, 6 h) LockTimeout names the holder."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_FILE
    key = str(path.resolve())
    with _registry:
        held = _held.setdefault(key, _Held())
    limit = wait_seconds() if wait is None else wait
    deadline = time.monotonic() + limit
    if not held.guard.acquire(blocking=False):  # another thread of this process writes
        if on_wait:
            on_wait(f"waiting for the data directory lock ({root}), held by another step of this process")
        if not held.guard.acquire(timeout=max(limit, 0)):
            raise LockTimeout(f"{root} is locked by another step of this process; gave up after {limit:.0f} s")
    try:
        if held.depth == 0:
            handle = open(path, "a+", encoding="utf-8")
            try:
                _take(handle, path, root, deadline, limit, on_wait)
            except BaseException:
                handle.close()
                raise
            handle.seek(0)
            handle.truncate()
            handle.write(_describe(what))
            handle.flush()
            held.handle = handle
        held.depth += 1
        try:
            yield
        finally:
            held.depth -= 1
            if held.depth == 0:
                release, held.handle = held.handle, None
                assert release is not None  # opened when depth went from 0 to 1
                release.seek(0)
                release.truncate()  # nobody holds it now
                release.flush()
                fcntl.flock(release, fcntl.LOCK_UN)
                release.close()
    finally:
        held.guard.release()


def _take(handle, path: Path, root: Path, deadline: float, limit: float, on_wait) -> None:
    said = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        if time.monotonic() >= deadline:
            raise LockTimeout(
                f"{root} is locked by {holder_of(path)}: another msi run is writing there; gave up "
                f"after {limit:.0f} s (MSI_LOCK_WAIT). Wait for it to finish, or stop it"
            ) from None
        if not said and on_wait:
            on_wait(f"waiting for {holder_of(path)} to finish writing {root}")
            said = True
        time.sleep(POLL_SECONDS)
