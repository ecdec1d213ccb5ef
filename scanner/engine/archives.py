"""Secrets inside archives and office documents: zip (jar, war, whl, apk, nupkg, ...), tar,
gzip, bzip2 and xz, nested, and the text of .docx/.xlsx/.pptx/.odt/.ods files.

Archives are attacker input. Everything happens in memory, nothing is extracted to disk, so a
member name (``../../etc/x``, ``/abs``) is only ever a label. Members are decompressed in
pieces through a meter that counts what really comes out (declared sizes lie) against the
archive's limits (``Limits``): bytes decompressed in all, compression ratio (of the whole
archive, and of each member against its compressed size), members (nested ones included),
nesting depth, and the engine's file time budget, which the whole archive shares. A bound
that is hit ends reading and is reported as "not fully scanned"; what was read before it is
scanned. Encrypted members, corrupt data and unknown compression methods are reported and
passed over. See docs/archives.md.

Detection and the limits live in ``archive_kinds.py``, which every scan imports; this module
loads when an archive is met, and the codec modules when one of their kind is (the commit
hook's start-up is part of the product).
"""
from __future__ import annotations

import functools
import io
import re
import time
from typing import TYPE_CHECKING, Callable, Iterable, Protocol

from scanner.engine.archive_kinds import DEFAULT_LIMITS, Limits, detect, is_tar_header
from scanner.engine.text import BINARY_SNIFF, is_binary
from scanner.finding import BINARY, NOT_FULLY_SCANNED
from scanner.records import field, record, replace

if TYPE_CHECKING:
    from scanner.engine.core import Engine, ScanResult
    from scanner.finding import Finding


class _Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


# Below this many bytes out, the ratio is not judged: a small, very repetitive text (a
# 30 KB file of one repeated line) is no bomb.
RATIO_GRACE = 1 << 20
PIECE = 1 << 20                  # bytes decompressed per read
MAX_LISTED = 5                   # member names listed per kind of warning, then a count
# Suffixes a decompressed single file loses (``x.env.gz`` holds ``x.env``), or becomes a tar.
_STREAM_SUFFIXES = {".gz": "", ".gzip": "", ".bz2": "", ".xz": "", ".tgz": ".tar", ".tbz2": ".tar",
                    ".tbz": ".tar", ".txz": ".tar"}


def scan(engine: Engine, raw: bytes, path: str, kind: str, deadline: float | None) -> ScanResult:
    """The findings inside one archive, each at ``path!member[!member...]``, and what was not
    (fully) scanned. A container that cannot be opened at all is scanned as a plain file."""
    from scanner.engine.core import ScanResult

    limits = engine.archives or DEFAULT_LIMITS
    run = _Run(engine, limits, path, len(raw), deadline if deadline is not None else engine.deadline())
    try:
        opened = run.container(raw, path, [], 1, kind)
    except _Bound as stop:
        run.incomplete(stop.where, stop.why)
        opened = True
    if not opened:
        plain = engine.scan(raw, path, deadline=run.deadline, inside=False)
        run.note(f"corrupt {kind} archive, contents not scanned ({run.open_error})")
        if plain.skipped and plain.skipped != BINARY:
            run.note(plain.skipped)
        run.findings.extend(plain.findings)
    return ScanResult(findings=run.findings, skipped=run.notes())


def scan_chunked(engine: Engine, first: bytes, rest: Iterable[tuple[bytes, int, int]], path: str) -> ScanResult:
    """An archive that came as overlapping chunks (a large file or blob): put back together in
    memory up to ``max_bytes``, then scanned as one; a larger one is reported, not opened."""
    from scanner.engine.core import ScanResult

    limits = engine.archives or DEFAULT_LIMITS
    parts, end = [first], len(first)
    for chunk, offset, _ in rest:
        piece = chunk[end - offset:]
        parts.append(piece)
        end += len(piece)
        if end > limits.max_bytes:
            return ScanResult(skipped=f"{NOT_FULLY_SCANNED}: archive larger than archive_max_bytes "
                                      f"({_size(limits.max_bytes)}), not opened")
    data = b"".join(parts)
    del parts
    kind = detect(data, path)
    return scan(engine, data, path, kind, None) if kind else engine.scan(data, path, inside=False)


class _Bound(Exception):
    """A limit was reached. ``member_only``: only the member being read is cut short (its own
    ratio); otherwise the whole archive stops. ``partial``: what the last read gave within it."""

    def __init__(self, why: str, where: str = "", *, member_only: bool = False, partial: bytes = b"") -> None:
        super().__init__(why)
        self.why, self.where, self.member_only, self.partial = why, where, member_only, partial


@record
class _Run:
    """One outer archive: its limits, what was decompressed so far, what was found and noted."""
    engine: Engine
    limits: Limits
    path: str
    size: int
    deadline: float | None
    produced: int = 0
    members: int = 0
    findings: list[Finding] = field(default_factory=list)
    _notes: dict[str, list[str]] = field(default_factory=dict)        # reason -> member labels, in order
    _ancestors: list[bytes] = field(default_factory=list)             # digests of enclosing archives
    where: str = ""                                                   # the member being read
    open_error: str = ""

    @property
    def cap(self) -> int:
        """Bytes this whole archive may decompress: ``max_bytes``, and ``max_ratio`` times its size."""
        return min(self.limits.max_bytes, max(int(self.limits.max_ratio * self.size), RATIO_GRACE))

    def over(self) -> str:
        if self.cap == self.limits.max_bytes:
            return f"more than archive_max_bytes ({_size(self.limits.max_bytes)}) decompressed"
        return (f"expands more than archive_max_ratio ({self.limits.max_ratio:g}x) of the archive's "
                f"{_size(self.size)}")

    def check_time(self) -> None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise _Bound(f"the file time budget ({self.engine.file_budget:g} s) ran out", self.where)

    # -- notes ----------------------------------------------------------------------------
    # Each reason once, with the members it concerns (a bomb of thousands of nested archives
    # gives one line, not thousands).
    def note(self, text: str, label: str = "") -> None:
        labels = self._notes.setdefault(text, [])
        if label and label not in labels:
            labels.append(label)

    def incomplete(self, where: str, why: str) -> None:
        self.note(f"{NOT_FULLY_SCANNED}: {why}", where)

    def notes(self) -> str:
        out = []
        for text, labels in self._notes.items():
            more = f" (and {len(labels) - MAX_LISTED} more)" if len(labels) > MAX_LISTED else ""
            out.append(f"{text}: {', '.join(labels[:MAX_LISTED])}{more}" if labels else text)
        return "; ".join(out)

    # -- containers -----------------------------------------------------------------------
    def container(self, data: bytes, name: str, chain: list[str], depth: int, kind: str) -> bool:
        """Scan every member of one (possibly nested) archive; False if it cannot be opened."""
        import hashlib

        self._ancestors.append(hashlib.sha256(data).digest())
        try:
            if kind == "zip":
                return self._zip(data, chain, depth)
            if kind == "tar":
                return self._tar(_Meter(io.BytesIO(data), self, len(data)), chain, depth)
            return self._stream(data, name, chain, depth, kind)
        finally:
            self._ancestors.pop()

    def _zip(self, data: bytes, chain: list[str], depth: int) -> bool:
        import zipfile
        import zlib

        count = _zip_entries(data, self.limits.max_members)
        if count is None:
            self.open_error = "no zip central directory"
            return False
        if self.members + count > self.limits.max_members:
            raise _Bound(f"more than archive_max_members ({self.limits.max_members}) members", _label(chain))
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except _errors() as exc:
            self.open_error = str(exc)
            return False
        with zf:
            infos = zf.infolist()
            office = _is_office({i.filename for i in infos})
            for info in infos:
                self.members += 1
                if info.is_dir():
                    continue
                self.check_time()
                label = _label(chain + [info.filename])
                self.where = label
                if info.flag_bits & 0x1:
                    self.note("encrypted archive members, not scanned", label)
                    continue
                if info.compress_type not in _ZIP_METHODS:
                    self.note("archive members with an unsupported compression method, not scanned",
                              f"{label} (method {info.compress_type})")
                    continue
                try:
                    fh = zf.open(info)
                except _errors() as exc:
                    self.note("corrupt archive members, not scanned", f"{label} ({_why(exc)})")
                    continue
                with fh:
                    # zipfile raises on a bad CRC with the last piece read still unreturned, and
                    # unzip extracts such a member with a warning: a wrong CRC must not hide
                    # content, so the check is made here, after the bytes are in hand.
                    fh._expected_crc = None   # type: ignore[attr-defined]
                    content, problem, whole = self._drain(_Meter(fh, self, info.compress_size), info.filename)
                if whole and zlib.crc32(content) != info.CRC:
                    problem = f"bad CRC-32 for {info.filename!r}"
                self._finish(content, problem, info.filename, chain, depth, office)
        return True

    def _tar(self, fileobj: _Readable, chain: list[str], depth: int) -> bool:
        import tarfile

        try:
            # Opened apart from the loop below: a stream that is no tar at all is told from a bad member.
            tf = tarfile.open(fileobj=_TarEnd(fileobj), mode="r|")   # type: ignore[call-overload]  # noqa: SIM115
        except _errors() as exc:
            self.open_error = _why(exc)
            return False
        with tf:
            try:
                for info in tf:
                    self.members += 1
                    if self.members > self.limits.max_members:
                        raise _Bound(f"more than archive_max_members ({self.limits.max_members}) members",
                                     _label(chain))
                    if not info.isreg():
                        continue   # directories, links, devices: no content of their own
                    self.check_time()
                    label = _label(chain + [info.name])
                    self.where = label
                    member = tf.extractfile(info)
                    if member is None:
                        continue
                    # A sparse member's holes are made up by tarfile, not read: count them too.
                    reader: _Readable = _Meter(member, self, 1 << 62) if info.issparse() else member
                    content, problem, _ = self._drain(reader, info.name)
                    self._finish(content, problem, info.name, chain, depth, False)
            except _errors() as exc:
                self.note("corrupt archive data, the rest not scanned", f"{_label(chain) or 'tar'} ({_why(exc)})")
        return True

    def _stream(self, data: bytes, name: str, chain: list[str], depth: int, kind: str) -> bool:
        """gzip, bzip2 or xz: a tar inside is read as one archive with it (``a.tar.gz!x``);
        anything else is the one member, named after the file (``x.env.gz!x.env``)."""
        meter = _Meter(_decompressor(kind, data), self, len(data))
        try:
            head = _read_up_to(meter, 512)
        except _errors() as exc:
            self.open_error = _why(exc)
            return False
        if is_tar_header(head):
            return self._tar(_Prefixed(head, meter), chain, depth)
        inner = _inner_name(name)
        self.where = _label(chain + [inner])
        content, problem, _ = self._drain(meter, inner, head)
        self._finish(content, problem, inner, chain, depth, False)
        return True

    # -- members --------------------------------------------------------------------------
    def _drain(self, fh: _Readable, name: str, start: bytes = b"") -> tuple[bytes, _Bound | str, bool]:
        """A member's bytes, read piece by piece; with the bound or the corruption that ended
        it, and whether it was read whole. A binary member (a .class, a .so, an image) is read
        only as far as the engine looks to call it binary (``BINARY_SNIFF``), unless it may be
        an archive or a credential file judged by its name (a key store). ``start``: bytes of
        it already read."""
        parts: list[bytes] = []
        try:
            head = start + _read_up_to(fh, max(0, BINARY_SNIFF - len(start)))
            parts.append(head)
            if self._passed_over(head, name):
                return head, "", False
            while True:
                piece = fh.read(PIECE)
                if not piece:
                    return b"".join(parts), "", True
                parts.append(piece)
        except _Bound as stop:
            parts.append(stop.partial)
            return b"".join(parts), stop, False
        except _errors() as exc:
            return b"".join(parts), _why(exc), False

    def _passed_over(self, head: bytes, name: str) -> bool:
        engine = self.engine
        return (is_binary(head) and not engine.scan_binary and detect(head, name) is None
                and not engine.files.rules_for(name))

    def _finish(self, content: bytes, problem: _Bound | str, name: str, chain: list[str], depth: int,
                office: bool) -> None:
        """Scan a member's bytes (all of them, or those read before a problem), then report
        the problem: corruption is passed over, a bound stops the archive (or just the member)."""
        self.member(content, name, chain + [name], depth, office)
        if isinstance(problem, _Bound):
            if not problem.member_only:
                raise problem
            self.incomplete(problem.where, problem.why)
        elif problem:
            self.note("corrupt archive members, scanned as far as they could be read",
                      f"{_label(chain + [name])} ({problem})")

    def member(self, data: bytes, name: str, chain: list[str], depth: int, office: bool) -> None:
        kind = detect(data, name)
        if kind is not None:
            import hashlib

            if hashlib.sha256(data).digest() in self._ancestors:
                self.note("the same bytes as an archive around it (a quine), not read again", _label(chain))
                return
            if depth >= self.limits.max_depth:
                self.incomplete(_label(chain), f"nested deeper than archive_max_depth ({self.limits.max_depth}), "
                                               "not opened")
            else:
                saved_error, self.open_error = self.open_error, ""
                if self.container(data, name, chain, depth + 1, kind):
                    return
                self.note("corrupt nested archives, scanned as plain files", f"{_label(chain)} ({self.open_error})")
                self.open_error = saved_error
        if office and name.endswith(".xml"):
            # The text first (runs joined, so a token split by formatting is whole; one line per
            # paragraph or row), then the raw XML for what lies outside the text (attributes).
            text = self._scan(office_text(data), name, chain)
            seen = {f.fingerprint for f in text}
            self._scan(data, name, chain, keep=lambda f: f.fingerprint not in seen)
        else:
            self._scan(data, name, chain)

    def _scan(self, data: bytes, name: str, chain: list[str],
              keep: Callable[[Finding], bool] | None = None) -> list[Finding]:
        # The member's own name decides the rules that go by file name (a .env inside a zip is a .env).
        result = self.engine.scan(data, name, deadline=self.deadline, inside=False)
        label = "!".join([self.path, *chain])
        kept = [replace(f, path=label, members=list(chain)) for f in result.findings if keep is None or keep(f)]
        self.findings.extend(kept)
        if result.skipped and result.skipped != BINARY:
            for part in result.skipped.split("; "):
                if part.startswith(NOT_FULLY_SCANNED + ": "):
                    self.incomplete(_label(chain), part[len(NOT_FULLY_SCANNED) + 2:])
                else:
                    self.note(part, _label(chain))
        return kept


class _Meter:
    """A decompressing reader that counts what really comes out against the archive's limits:
    the whole archive's (``_Run.cap``) and this stream's own ratio to ``packed`` bytes."""

    def __init__(self, inner: _Readable, run: _Run, packed: int) -> None:
        self.inner, self.run, self.count = inner, run, 0
        self.cap = max(int(run.limits.max_ratio * packed), RATIO_GRACE)

    def read(self, n: int = -1, /) -> bytes:
        self.run.check_time()
        data = self.inner.read(PIECE if n is None or n < 0 else min(n, PIECE))
        run = self.run
        own, whole = self.cap - self.count, run.cap - run.produced
        if len(data) > min(own, whole):
            keep = data[:max(0, min(own, whole))]
            run.produced += len(keep)
            self.count += len(keep)
            if whole <= own:
                raise _Bound(run.over(), run.where, partial=keep)
            raise _Bound(f"expands more than archive_max_ratio ({run.limits.max_ratio:g}x) of its compressed size",
                         run.where, member_only=True, partial=keep)
        self.count += len(data)
        run.produced += len(data)
        return data


class _TarEnd:
    """A tar stream for tarfile, which ends it once its data has run out twice. To pass over a
    member, tarfile reads on to where its header says the next one starts, a block at a time,
    and only then finds the data gone: a 2 KB tar whose header claims 64 GB (git/git's tests
    hold one) cost millions of empty reads and seconds of CPU. Twice is what a well-formed
    end costs (a short member's last read, the next header's); a third read past the end
    fails at once as tarfile's own check would after its loop."""

    def __init__(self, inner: _Readable) -> None:
        self.inner, self.past_end = inner, 0

    def read(self, n: int = -1, /) -> bytes:
        data = self.inner.read(n)
        if not data and n != 0:
            self.past_end += 1
            if self.past_end > 2:
                import tarfile

                raise tarfile.ReadError("unexpected end of data")
        return data


class _Prefixed:
    """``head`` (already read) and then the rest of ``stream``."""

    def __init__(self, head: bytes, stream: _Readable) -> None:
        self.head, self.stream = head, stream

    def read(self, n: int = -1, /) -> bytes:
        if self.head:
            out = self.head if n is None or n < 0 else self.head[:n]
            self.head = self.head[len(out):]
            return out
        return self.stream.read(n)


def _read_up_to(fh: _Readable, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        piece = fh.read(n - got)
        if not piece:
            break
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


def _decompressor(kind: str, data: bytes) -> _Readable:
    import bz2
    import gzip
    import lzma

    source = io.BytesIO(data)
    if kind == "gzip":
        return gzip.GzipFile(fileobj=source)
    if kind == "bzip2":
        return bz2.BZ2File(source)
    return lzma.LZMAFile(source)


def _zip_entries(data: bytes, cap: int) -> int | None:
    """Entries in a zip's central directory, counted up to ``cap + 1`` without building them
    (zipfile holds an object per entry: a directory of millions must not get that far);
    None when there is no end record."""
    import struct
    import zipfile

    try:
        # zipfile's own reader of the end record (it knows zip64 and trailing comments).
        end = zipfile._EndRecData(io.BytesIO(data))   # type: ignore[attr-defined]
    except (OSError, struct.error):
        return None
    if not end:
        return None
    size_cd, offset_cd = end[zipfile._ECD_SIZE], end[zipfile._ECD_OFFSET]   # type: ignore[attr-defined]
    concat = end[zipfile._ECD_LOCATION] - size_cd - offset_cd               # type: ignore[attr-defined]
    if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:           # type: ignore[attr-defined]
        concat -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator   # type: ignore[attr-defined]
    pos = offset_cd + concat
    stop, count = min(pos + size_cd, len(data)), 0
    while pos + 46 <= stop and count <= cap and data[pos:pos + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        pos += 46 + name_len + extra_len + comment_len
        count += 1
    return count


def _is_office(names: set[str]) -> bool:
    """OOXML (.docx, .xlsx, .pptx) or OpenDocument (.odt, .ods), by what is inside, not by name."""
    return "[Content_Types].xml" in names or ("mimetype" in names and "content.xml" in names)


# Where a line or a cell of an office document ends, by the tag's local name (Word, Excel and
# PowerPoint's OOXML; OpenDocument).
_LINE_ENDS = frozenset({b"p", b"h", b"tr", b"row", b"si", b"table-row", b"br", b"line-break", b"cr"})
_CELL_ENDS = frozenset({b"tc", b"c", b"table-cell", b"tab"})
_TAG = re.compile(rb"<(/?)([^\s/>]*)[^>]*>")


def office_text(xml: bytes) -> bytes:
    """The text of an office XML part: tags dropped (runs joined), a line per paragraph or row,
    a tab per cell, entities resolved. A regex, not an XML parser: linear, and no entity
    expansion (a billion-laughs part stays its own size)."""
    import html

    def tag(m: re.Match[bytes]) -> bytes:
        local = m.group(2).rpartition(b":")[2]
        closing_or_empty = m.group(1) == b"/" or m.group(0).endswith(b"/>")
        if local in _LINE_ENDS and closing_or_empty:
            return b"\n"
        if local in _CELL_ENDS and closing_or_empty:
            return b"\t"
        if local == b"s" and m.group(0).endswith(b"/>"):   # OpenDocument's space
            return b" "
        return b""

    text = _TAG.sub(tag, xml).decode("utf-8", "replace")
    return html.unescape(text).encode("utf-8", "surrogatepass")


def _inner_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    lowered = base.lower()
    for suffix, becomes in _STREAM_SUFFIXES.items():
        if lowered.endswith(suffix) and len(base) > len(suffix):
            return base[:-len(suffix)] + becomes
    return base or "(decompressed)"


def _label(chain: list[str]) -> str:
    return "!".join(chain)


def _size(n: int) -> str:
    for unit, div in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= div and n % div == 0:
            return f"{n // div} {unit}"
    return f"{n} bytes"


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


@functools.lru_cache(maxsize=1)
def _errors() -> tuple[type[BaseException], ...]:
    """What bad archive data ends in (truncation, corruption, an unknown method): reported, and
    the scan goes on. Looked up when an archive is first opened, not at start-up."""
    import lzma
    import tarfile
    import zipfile
    import zlib

    # gzip.BadGzipFile is an OSError; ValueError, RuntimeError and NotImplementedError are what
    # zipfile raises for bad headers, encryption and methods it lacks.
    return (EOFError, OSError, ValueError, RuntimeError, NotImplementedError, zlib.error, lzma.LZMAError,
            zipfile.BadZipFile, tarfile.TarError)


_ZIP_METHODS = frozenset({0, 8, 12, 14})   # stored, deflate, bzip2, lzma: what zipfile decompresses
