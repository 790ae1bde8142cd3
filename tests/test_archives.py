"""Published ZIPs extracted within bounds (pipelines/archives.py): byte for byte with ISA-L, ZIP64 included;
a member that inflates past its declared size stops there, writing nothing; an encrypted member (a real one,
made by Info-ZIP's `zip -P`) and an impossible compression ratio are named for what they are."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from pipelines.archives import MAX_RATIO, ArchiveError, extract_csv
from tests.epd_fixtures import REAL_ROWS

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.mark.parametrize("zip64", [False, True])
@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2])
def test_the_csv_comes_out_byte_for_byte(tmp_path, zip64, method):
    content = REAL_ROWS.read_bytes() * 400
    archive = tmp_path / "EPD_SNOMED_202601.zip"
    with zipfile.ZipFile(archive, "w", compression=method) as zf:
        with zf.open("EPD_SNOMED_202601.csv", "w", force_zip64=zip64) as dst:  # ZIP64, as NHSBSA's >4 GB files
            dst.write(content)
    assert extract_csv(archive, tmp_path / "out").read_bytes() == content


def _set_declared_size(archive: Path, size: int) -> None:
    """Rewrite the member's uncompressed size in its local header and the central directory (a lying ZIP)."""
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        member = zf.infolist()[0]
    data[member.header_offset + 22 : member.header_offset + 26] = struct.pack("<I", size)
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", size)
    archive.write_bytes(bytes(data))


def test_a_member_that_inflates_past_its_declared_size_stops_there(tmp_path):
    """Issue 28's case: about 1 MB of ZIP whose member declares 7 KB and inflates to 1 GiB."""
    archive = tmp_path / "EPD_SNOMED_202601.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("EPD_SNOMED_202601.csv", "w") as dst:
            block = b"\0" * (64 << 20)
            for _ in range(16):
                dst.write(block)
    assert archive.stat().st_size < 2 << 20
    _set_declared_size(archive, 7_000)
    with pytest.raises(ArchiveError) as caught:
        extract_csv(archive, tmp_path / "out")
    said = str(caught.value)
    assert said.startswith(
        "EPD_SNOMED_202601.zip: EPD_SNOMED_202601.csv inflates beyond the 7,000 bytes its header declares (stopped at "
    ), said
    assert "nothing was kept" in said
    assert list((tmp_path / "out").iterdir()) == []  # not a byte of it on disk


def test_a_member_declaring_an_impossible_ratio_is_not_inflated(tmp_path):
    archive = tmp_path / "EPD_SNOMED_202601.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("EPD_SNOMED_202601.csv", b"x" * 1000)
    compressed = zipfile.ZipFile(archive).infolist()[0].compress_size
    _set_declared_size(archive, 2**32 - 1)  # 4 GiB from a few bytes
    with pytest.raises(
        ArchiveError,
        match=rf"declares 4,294,967,295 bytes from {compressed:,} compressed \(over "
        rf"{MAX_RATIO}:1",
    ):
        extract_csv(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_an_encrypted_member_is_named_as_encrypted(tmp_path):
    with pytest.raises(
        ArchiveError,
        match=r"encrypted_EPD_SNOMED_202601.zip: EPD_SNOMED_202601.csv is encrypted "
        r"\(password-protected\): msi cannot read it, and downloading it again "
        "will not help",
    ):
        extract_csv(FIXTURES / "encrypted_EPD_SNOMED_202601.zip", tmp_path / "out")


def test_a_crc_that_does_not_match_is_refused(tmp_path):
    archive = tmp_path / "EPD_SNOMED_202601.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("EPD_SNOMED_202601.csv", REAL_ROWS.read_bytes())
    data = bytearray(archive.read_bytes())
    central = data.rindex(b"PK\x01\x02")
    data[central + 16] ^= 1  # the central directory's CRC-32 and the data disagree
    archive.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="not a complete ZIP file .*Bad CRC-32"):
        extract_csv(archive, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_corrupt_deflate_data_is_refused(tmp_path):
    archive = tmp_path / "EPD_SNOMED_202601.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("EPD_SNOMED_202601.csv", REAL_ROWS.read_bytes() * 50)
    member = zipfile.ZipFile(archive).infolist()[0]
    data = bytearray(archive.read_bytes())
    start = member.header_offset + 30 + len(member.filename)
    data[start : start + 64] = zlib.compress(b"not deflate")[:64].ljust(64, b"\xff")
    archive.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="not a complete ZIP file"):
        extract_csv(archive, tmp_path / "out")
