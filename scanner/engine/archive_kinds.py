"""What every scan needs of archives: whether bytes are one (``detect``, by magic bytes) and how
far into one the engine goes (``Limits``). The readers (``archives.py``) are imported only when
an archive is met: a commit hook whose change holds none never loads them."""
from __future__ import annotations

from scanner.records import record



@record(frozen=True)
class Limits:
    """How far into an archive the engine goes (config keys ``archive_max_*``)."""
    max_depth: int = 3                    # archives inside archives, the outer one counting 1
    max_bytes: int = 256 * 1024 * 1024    # decompressed, all members and nesting levels together
    max_ratio: float = 100.0              # decompressed / compressed, per archive and per member
    max_members: int = 100_000            # entries, nested ones included


DEFAULT_LIMITS = Limits()
ZIP_SUFFIXES = (".zip", ".jar", ".war", ".ear", ".aar", ".whl", ".apk", ".nupkg", ".docx", ".xlsx", ".pptx",
                ".odt", ".ods", ".odp")
_EOCD_REACH = 65535 + 22         # the end record is within the last 64 KB (its comment) + 22 bytes


def detect(data: bytes | bytearray, path: str) -> str | None:
    """``zip``, ``gzip``, ``bzip2``, ``xz`` or ``tar`` by magic bytes; or ``zip`` for a file
    named like one with a zip end record near its end (a zip behind a launcher or
    self-extractor stub). None for anything else."""
    head = bytes(data[:10])
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\x1f\x8b\x08"):
        return "gzip"
    if head.startswith(b"BZh") and head[4:10] == b"1AY&SY":
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if is_tar_header(data[:512]):
        return "tar"
    if path.lower().endswith(ZIP_SUFFIXES) and b"PK\x05\x06" in data[-_EOCD_REACH:]:
        return "zip"
    return None


def is_tar_header(block: bytes | bytearray) -> bool:
    """A ustar header whose checksum adds up (so "ustar" at offset 257 of a text is not enough)."""
    if len(block) < 512 or block[257:262] != b"ustar":
        return False
    try:
        stored = int(bytes(block[148:156]).rstrip(b"\0 ").decode("ascii") or "-1", 8)
    except ValueError:
        return False
    return stored == sum(block[:148]) + 8 * 0x20 + sum(block[156:512])
