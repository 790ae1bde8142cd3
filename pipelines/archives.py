"""The one CSV inside a published ZIP, extracted within bounds: NHSBSA's EPD (ZIP64, 7 GB inflated) and NHS
Digital's list-size files (ZIPs from late 2025) both come this way.

A ZIP is input like any other. Its member's declared size is checked before anything is written (no
published CSV compresses beyond about 12:1; `MAX_RATIO` leaves room for the sample's synthetic rows), and
inflation stops the moment the output passes the declared size, so a member that lies about its size
cannot fill the disk (a 1 MB "bomb" that declares 7 KB stops at 7 KB, not 1 GiB). Encrypted members are
named as such (downloading again cannot help). Deflate runs through ISA-L (python-isal: about half
zlib's time on a national month) with bounded output per call, writing in a second thread so inflating and
writing overlap; other methods (stored, bzip2, LZMA) go through the standard library, which stops at the
declared size itself. The CRC-32 and the length are checked either way.
"""

from __future__ import annotations

import queue
import shutil
import struct
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHUNK = 16 * 1024 * 1024  # compressed bytes read at a time
OUT_CHUNK = 64 * 1024 * 1024  # the most one inflate call may produce: memory stays bounded per call
MAX_RATIO = 100  # declared size / compressed size; real EPD and NHS Digital CSVs are 5-12:1
RATIO_FLOOR = 64 * 1024 * 1024  # below this declared size the ratio is not held against a member


class ArchiveError(ValueError):
    """The archive cannot be read as published; the message names the file, the member and what to do."""


def csv_member(source: Path, zf: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The one CSV of a published ZIP, checked before anything is inflated."""
    members = [m for m in zf.infolist() if m.filename.lower().endswith(".csv")]
    if len(members) != 1:
        raise ArchiveError(
            f"{source.name}: expected exactly one CSV inside the ZIP, found {[m.filename for m in zf.infolist()]}"
        )
    member = members[0]
    if member.flag_bits & 0x1:
        raise ArchiveError(
            f"{source.name}: {member.filename} is encrypted (password-protected): msi cannot read "
            "it, and downloading it again will not help. NHSBSA and NHS Digital publish open ZIPs: "
            "take the file from them, or unzip it with its password and use the CSV instead"
        )
    if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
        raise ArchiveError(
            f"{source.name}: {member.filename} declares {member.file_size:,} bytes from "
            f"{member.compress_size:,} compressed (over {MAX_RATIO}:1, where a published CSV is "
            "about 10:1): not inflated. It is damaged or not a published file"
        )
    return member


def extract_csv(source: Path, target_dir: Path) -> Path:
    """Extract the ZIP's one CSV into `target_dir`; raises ArchiveError (one line) for anything wrong."""
    try:
        with zipfile.ZipFile(source) as zf:  # reads ZIP64, as NHSBSA's >4 GB files need
            member = csv_member(source, zf)
            target_dir.mkdir(parents=True, exist_ok=True)
            target = target_dir / Path(member.filename).name
            try:
                if member.compress_type == zipfile.ZIP_DEFLATED:
                    _inflate(source, member, target)
                else:
                    _copy(zf, source, member, target)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            return target
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"{source.name}: not a complete ZIP file ({exc}); download it again") from None
    except EOFError:
        raise ArchiveError(f"{source.name}: the ZIP ends early (a truncated download); download it again") from None


def _too_big(source: Path, member: zipfile.ZipInfo, size: int) -> ArchiveError:
    return ArchiveError(
        f"{source.name}: {member.filename} inflates beyond the {member.file_size:,} bytes its "
        f"header declares (stopped at {size:,}): the ZIP is damaged or made to fill the disk; "
        "nothing was kept. Download it again from the publisher"
    )


def _copy(zf: zipfile.ZipFile, source: Path, member: zipfile.ZipInfo, target: Path) -> None:
    # The standard library stops reading at the declared size and then checks the CRC-32.
    with zf.open(member) as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, length=CHUNK)


def _inflate(source: Path, member: zipfile.ZipInfo, target: Path) -> None:
    from isal import isal_zlib

    with open(source, "rb") as fh:
        fh.seek(member.header_offset)
        local = fh.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"no local header for {member.filename}")
        names, extra = struct.unpack("<HH", local[26:30])
        fh.seek(member.header_offset + 30 + names + extra)
        pending: queue.Queue = queue.Queue(maxsize=4)
        failed: list[BaseException] = []

        def write() -> None:
            try:
                with open(target, "wb") as dst:
                    while (block := pending.get()) is not None:
                        dst.write(block)
            except BaseException as exc:  # noqa: BLE001 - handed to the reading thread, which raises it
                failed.append(exc)
                while pending.get() is not None:  # drain, so the reader never blocks on a full queue
                    pass

        writer = threading.Thread(target=write, name="zip-writer")
        writer.start()
        crc, size, left, data = 0, 0, member.compress_size, b""
        try:
            inflater = isal_zlib.decompressobj(-15)  # raw deflate, as ZIP stores it
            while left or data:
                if not data:
                    data = fh.read(min(CHUNK, left))
                    if not data:
                        raise EOFError
                    left -= len(data)
                block = inflater.decompress(data, OUT_CHUNK)
                data = inflater.unconsumed_tail
                size += len(block)
                if size > member.file_size:
                    raise _too_big(source, member, size)
                crc = isal_zlib.crc32(block, crc)
                pending.put(block)
                if failed:
                    break
            block = inflater.flush()
            size += len(block)
            if size > member.file_size:
                raise _too_big(source, member, size)
            crc = isal_zlib.crc32(block, crc)
            pending.put(block)
        except isal_zlib.error as exc:  # type: ignore[misc]  # an exception class, not in isal's stubs
            raise zipfile.BadZipFile(f"corrupt deflate data ({exc})") from exc
        finally:
            pending.put(None)
            writer.join()
    if failed:
        raise failed[0]
    if size != member.file_size or crc != member.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 or size for file {member.filename!r}")


@contextmanager
def csv_of(source: Path, scratch: Path, error: type[Exception]) -> Iterator[Path]:
    """A CSV path for a published file: the file itself, or a ZIP's one CSV extracted (within bounds) into
    `scratch` and removed afterwards. A bad archive raises `error` (the dataset's own) with ArchiveError's line."""
    if source.suffix.lower() != ".zip":
        yield source
        return
    try:
        target = extract_csv(source, scratch)
    except ArchiveError as exc:
        raise error(str(exc)) from None
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)
