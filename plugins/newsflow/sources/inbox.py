"""The seed-file inbox: ``.txt``, ``.html`` and ``.jsonl`` documents.

Layout: files directly in the inbox, or in date folders ``YYYY-MM-DD/`` (a backfill over an
interval picks the folders whose date lies in it). Every file's raw bytes are archived in
``raw_documents`` under their sha256; a file whose bytes were already archived is recognised
and not processed again.

Every entry of the inbox is accounted for, because the inbox is written by other programs and
people and anything can land there:

* a regular file is read (never more than the size cap) and archived;
* anything else is *refused with a record*: archived without its bytes and quarantined at
  ``acquire`` with the reason (a symbolic link leading outside the inbox or nowhere, a FIFO,
  a socket or device, a folder named like a document, a file that cannot be read);
* entries whose name starts with ``.`` (and everything under such a folder) are skipped on
  purpose and counted: that is where writers keep files they have not finished (write
  ``.name.tmp``, then rename it into place), and where editors keep their swap files.

A file is opened without following symbolic links (``O_NOFOLLOW``), so a link swapped in
after the scan cannot make newsflow read outside the inbox. A file name that is not valid
UTF-8 is kept readable in its locator (``\\xe9`` for the byte 0xe9).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from newsflow import db
from newsflow.archive import RawInput, archive_many
from newsflow.db import Conn
from newsflow.settings import Settings

MEDIA_TYPES = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".jsonl": "application/jsonl",
    ".ndjson": "application/jsonl",
}
DATE_DIR = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
CHUNK = 1 << 20


@dataclass(frozen=True)
class InboxFile:
    """One entry of the inbox that acquisition will account for."""

    path: Path
    relative: str  # locator: path relative to the inbox, '/'-separated, always valid UTF-8
    partition_date: date | None
    media_type: str | None  # None: an extension newsflow does not read
    size: int
    refusal: str | None = None  # why it is not read (not a regular file inside the inbox)
    target: str | None = None  # where a symbolic link points, for the record
    mtime_ns: int = 0  # modification time (of the link itself for a link), for inbox_files


@dataclass
class Scan:
    """What a scan found: the entries to account for, and what it skipped on purpose."""

    entries: list[InboxFile] = field(default_factory=list)
    hidden: int = 0  # names starting with '.', skipped on purpose
    folders: int = 0  # folders walked
    outside_interval: int = 0  # entries of other days (a backfill takes its own)
    unchanged: int = 0  # unchanged since archived and settled (a new-arrivals run skips them)
    being_written: int = 0  # changed within the last SETTLE_SECONDS (a new-arrivals run waits)

    def counts(self) -> dict[str, int]:
        return {
            "entries": len(self.entries),
            "hidden_skipped": self.hidden,
            "folders": self.folders,
            "outside_interval": self.outside_interval,
            "unchanged_skipped": self.unchanged,
            "being_written_skipped": self.being_written,
        }


def locator_of(parts: tuple[str, ...]) -> str:
    """The path relative to the inbox as valid UTF-8 text (undecodable bytes as ``\\xNN``)."""
    return "/".join(os.fsencode(p).decode("utf-8", "backslashreplace") for p in parts)


def _partition_of(relative_parts: tuple[str, ...]) -> date | None:
    for part in relative_parts[:-1]:
        match = DATE_DIR.match(part)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _classify(path: Path, root: Path, st: os.stat_result) -> tuple[str | None, str | None]:
    """(refusal, link target) for one non-directory entry (refusal None: read it)."""
    if stat.S_ISLNK(st.st_mode):
        target = os.fsencode(os.readlink(path)).decode("utf-8", "backslashreplace")
        real = Path(os.path.realpath(path))
        if not real.exists():
            return "a symbolic link to nothing (its target does not exist); not read", target
        if not _inside(real, root):
            return "a symbolic link leading outside the inbox; not read", target
        real_st = real.stat()
        if stat.S_ISDIR(real_st.st_mode):
            return "a symbolic link to a folder; folders are not followed through links", target
        if not stat.S_ISREG(real_st.st_mode):
            return f"a symbolic link to {_kind(real_st.st_mode)}; not read", target
        return None, target
    if not stat.S_ISREG(st.st_mode):
        return f"{_kind(st.st_mode)}, not a regular file; not read", None
    return None, None


def _in_interval(
    moment: datetime, interval_start: datetime | None, interval_end: datetime | None
) -> bool:
    if interval_start is None or interval_end is None:
        return True
    return interval_start <= moment < interval_end


def _walk(root: Path) -> Iterator[tuple[Path, tuple[str, ...], os.stat_result, bool]]:
    """(path, parts, lstat, is a folder) of every entry under ``root``, sorted, without
    following links; hidden entries are yielded too (the caller counts them)."""
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while stack:
        folder, parts = stack.pop()
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        subfolders = []
        for name in names:
            path = folder / name
            try:
                st = os.lstat(path)
            except OSError:
                continue  # vanished between listing and stat
            is_dir = stat.S_ISDIR(st.st_mode)
            yield path, (*parts, name), st, is_dir
            if is_dir and not name.startswith("."):
                subfolders.append((path, (*parts, name)))
        stack.extend(reversed(subfolders))


Signature = tuple[int, int, int]  # (size, mtime_ns, inode)


def signatures(inbox: Path) -> dict[str, Signature]:
    """Every visible non-folder entry of the inbox by locator, with what changes when it is
    (re)written: one ``lstat`` per entry, nothing read. What the inbox watcher compares."""
    if not inbox.is_dir():
        return {}
    root = Path(os.path.realpath(inbox))
    seen: dict[str, Signature] = {}
    for _path, parts, st, is_dir in _walk(root):
        if is_dir or any(part.startswith(".") for part in parts):
            continue
        seen[locator_of(parts)] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return seen


def scan(
    inbox: Path, interval_start: datetime | None = None, interval_end: datetime | None = None
) -> Scan:
    """Every entry of the inbox that belongs to the interval [start, end), sorted by path.

    Without an interval (a manual run) every entry is listed. With one, an entry in a date
    folder belongs to it when the folder's date (midnight UTC) lies in the interval; an entry
    directly in the inbox when its modification time does."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox folder does not exist: {inbox}")
    root = Path(os.path.realpath(inbox))
    found = Scan()
    for path, parts, st, is_dir in _walk(root):
        if parts[-1].startswith("."):
            found.hidden += 1
            continue
        partition = _partition_of(parts)
        moment = (
            datetime(partition.year, partition.month, partition.day, tzinfo=UTC)
            if partition is not None
            else datetime.fromtimestamp(st.st_mtime, tz=UTC)
        )
        if is_dir:
            found.folders += 1
            if Path(parts[-1]).suffix.lower() not in MEDIA_TYPES or DATE_DIR.match(parts[-1]):
                continue  # an ordinary folder: its entries are listed on their own
            refusal: str | None = "a folder named like a document; its files are read as usual"
            target = None
        else:
            refusal, target = _classify(path, root, st)
        if not _in_interval(moment, interval_start, interval_end):
            found.outside_interval += 1
            continue
        found.entries.append(
            InboxFile(
                path=path,
                relative=locator_of(parts),
                partition_date=partition,
                media_type=MEDIA_TYPES.get(Path(parts[-1]).suffix.lower()),
                size=st.st_size if refusal is None else 0,
                refusal=refusal,
                target=target,
                mtime_ns=st.st_mtime_ns,
            )
        )
    return found


def scan_inbox(
    inbox: Path, interval_start: datetime | None = None, interval_end: datetime | None = None
) -> list[InboxFile]:
    """The entries of :func:`scan` (for callers that need no counts)."""
    return scan(inbox, interval_start, interval_end).entries


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _refused(item: InboxFile, reason: str) -> RawInput:
    """An entry that is not read: archived without bytes under a key of its own (its name,
    the reason and where a link points), so the same refusal is recorded once, not per run."""
    key = "\0".join(("newsflow-refused", item.relative, reason, item.target or ""))
    return RawInput(
        origin="file",
        locator=item.relative,
        body=None,
        content_hash=hashlib.sha256(key.encode()).hexdigest(),
        size_bytes=0,
        media_type=item.media_type,
        partition_date=item.partition_date,
        refusal=reason + (f" (it points to {item.target})" if item.target else ""),
    )


def _read_capped(path: Path, cap: int) -> tuple[bytes | None, int]:
    """The file's bytes (None when over ``cap``) and its size, read through a descriptor
    opened without following links and checked to be a regular file."""
    real = Path(os.path.realpath(path)) if path.is_symlink() else path
    fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"{_kind(st.st_mode)}, not a regular file")
        if st.st_size > cap:
            return None, st.st_size
        with os.fdopen(fd, "rb", closefd=False) as handle:
            body = handle.read(cap + 1)
        if len(body) > cap:  # grew while being read
            return None, len(body)
        return body, len(body)
    finally:
        os.close(fd)


def read_inbox_file(item: InboxFile, settings: Settings) -> RawInput:
    """The entry as a :class:`RawInput`: its bytes, or a refusal (not a regular file inside
    the inbox, over the size cap, a type newsflow does not read, unreadable) that archiving
    turns into a quarantine record."""
    if item.refusal:
        return _refused(item, item.refusal)
    cap = settings.max_document_bytes
    try:
        body, size = _read_capped(item.path, cap)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        if exc.errno == errno.ELOOP:
            why = "it became a symbolic link after the scan"
        return _refused(item, f"could not be read: {why}")
    if body is None:
        return RawInput(
            origin="file",
            locator=item.relative,
            body=None,
            content_hash=sha256_file(item.path),
            size_bytes=size,
            media_type=item.media_type,
            partition_date=item.partition_date,
            refusal=(
                f"file is {size / 1e6:.1f} MB, over the {cap / 1e6:.1f} MB limit "
                "(NEWSFLOW_MAX_DOCUMENT_BYTES); not archived"
            ),
        )
    refusal = None
    if item.media_type is None:
        suffix = Path(item.relative).suffix or "(no extension)"
        refusal = f"unsupported file type {suffix!r}; newsflow reads .txt, .html and .jsonl"
    return RawInput(
        origin="file",
        locator=item.relative,
        body=body,
        content_hash=hashlib.sha256(body).hexdigest(),
        size_bytes=len(body),
        media_type=item.media_type,
        partition_date=item.partition_date,
        refusal=refusal,
    )


# Bytes of file bodies held at once while archiving a batch (sent to Postgres together).
_ARCHIVE_BATCH_BYTES = 16 * 1024 * 1024


def archive_files(
    conn: Conn,
    run_id: int,
    files: Iterable[InboxFile],
    settings: Settings,
    counts: dict[str, int],
    progress: Callable[[], None] | None = None,
) -> None:
    """Read and archive ``files`` into the run, adding each file's state to ``counts``
    (``files`` and one key per :data:`ArchiveState`), and remember each file in
    ``inbox_files``. Does not commit."""
    archived: list[tuple[InboxFile, int]] = []
    batch: list[tuple[InboxFile, RawInput]] = []
    held = 0

    def flush() -> None:
        done_all = archive_many(conn, run_id, [raw for _, raw in batch])
        for (item, _), done in zip(batch, done_all, strict=True):
            archived.append((item, done.raw_document_id))
            counts["files"] = counts.get("files", 0) + 1
            counts[done.state] = counts.get(done.state, 0) + 1
            if progress is not None:
                progress()
        batch.clear()

    for item in files:
        raw = read_inbox_file(item, settings)
        batch.append((item, raw))
        held += raw.size_bytes if raw.body is not None else 0
        if held >= _ARCHIVE_BATCH_BYTES:
            flush()
            held = 0
    flush()
    remember(conn, run_id, archived)


def remember(conn: Conn, run_id: int, archived: list[tuple[InboxFile, int]]) -> None:
    """Record what the run archived from the inbox (name, size, modification time, raw
    document), so a new-arrivals run can skip it while it is unchanged."""
    if not archived:
        return
    db.execute(
        conn,
        "inbox/remember",
        {
            "locators": [item.relative for item, _ in archived],
            "sizes": [item.size for item, _ in archived],
            "mtimes": [item.mtime_ns for item, _ in archived],
            "raw_ids": [raw_id for _, raw_id in archived],
            "run_ids": [run_id] * len(archived),
        },
    )


def skip_unchanged(conn: Conn, found: Scan) -> None:
    """Drop from ``found`` the entries unchanged since a run archived them (same name, size
    and modification time) whose documents are settled; count them in ``found.unchanged``.
    What a run started by the inbox watcher does, so it reads only what arrived."""
    if not found.entries:
        return
    rows = db.fetch_all(
        conn,
        "inbox/unchanged_settled",
        {
            "locators": [e.relative for e in found.entries],
            "sizes": [e.size for e in found.entries],
            "mtimes": [e.mtime_ns for e in found.entries],
        },
    )
    known = {row["locator"] for row in rows}
    found.entries = [e for e in found.entries if e.relative not in known]
    found.unchanged += len(known)


# A file changed this recently may still be being written (see skip_being_written).
SETTLE_SECONDS = 1.0


def skip_being_written(found: Scan, settle_s: float = SETTLE_SECONDS) -> None:
    """Drop from ``found`` the files modified within the last ``settle_s`` seconds; count
    them in ``found.being_written``. What a run started by the inbox watcher does: the
    watcher fires for files that stayed still for one look, but the run lists the whole inbox,
    and a file another writer is still filling in place was read half-written (its truncated
    text stored, the whole one later taken for its duplicate). The watcher sees such a file
    change, and fires again once it is still."""
    limit = time.time_ns() - int(settle_s * 1e9)
    kept = [e for e in found.entries if e.refusal is not None or e.mtime_ns <= limit]
    found.being_written += len(found.entries) - len(kept)
    found.entries = kept
