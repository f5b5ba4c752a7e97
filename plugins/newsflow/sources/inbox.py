"""The seed-file inbox: ``.txt``, ``.html`` and ``.jsonl`` documents.

Layout: files directly in the inbox, or in date folders ``YYYY-MM-DD/`` (a backfill over an
interval picks the folders whose date lies in it). Every file's raw bytes are archived in
``raw_documents`` under their sha256; a file whose bytes were already archived is recognised
and not processed again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from newsflow.archive import ArchiveState, RawInput, archive
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
    path: Path
    relative: str  # path relative to the inbox, with forward slashes
    partition_date: date | None
    media_type: str | None  # None: an extension newsflow does not read
    size: int


def _partition_of(relative_parts: tuple[str, ...]) -> date | None:
    for part in relative_parts[:-1]:
        match = DATE_DIR.match(part)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def scan_inbox(
    inbox: Path, interval_start: datetime | None = None, interval_end: datetime | None = None
) -> list[InboxFile]:
    """Files of the inbox that belong to the interval [start, end), sorted by path.

    Without an interval (a manual run) every file is listed. With one, a file in a date folder
    belongs to it when the folder's date (midnight UTC) lies in the interval; a file directly in
    the inbox when its modification time does. Hidden files are skipped.
    """
    if not inbox.exists():
        raise FileNotFoundError(f"inbox folder does not exist: {inbox}")
    found: list[InboxFile] = []
    for path in sorted(inbox.rglob("*")):
        if not path.is_file() or any(p.startswith(".") for p in path.relative_to(inbox).parts):
            continue
        parts = path.relative_to(inbox).parts
        partition = _partition_of(parts)
        stat = path.stat()
        if interval_start is not None and interval_end is not None:
            if partition is not None:
                moment = datetime(partition.year, partition.month, partition.day, tzinfo=UTC)
            else:
                moment = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
            if not (interval_start <= moment < interval_end):
                continue
        found.append(
            InboxFile(
                path=path,
                relative="/".join(parts),
                partition_date=partition,
                media_type=MEDIA_TYPES.get(path.suffix.lower()),
                size=stat.st_size,
            )
        )
    return found


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_inbox_file(item: InboxFile, settings: Settings) -> RawInput:
    """The file as a :class:`RawInput`: its bytes, or a refusal (over the size cap, a type
    newsflow does not read) that archiving turns into a quarantine record."""
    locator = item.relative
    if item.size > settings.max_document_bytes:
        return RawInput(
            origin="file",
            locator=locator,
            body=None,
            content_hash=sha256_file(item.path),
            size_bytes=item.size,
            media_type=item.media_type,
            partition_date=item.partition_date,
            refusal=(
                f"file is {item.size / 1e6:.1f} MB, over the {settings.max_document_bytes / 1e6:.1f} MB "
                "limit (NEWSFLOW_MAX_DOCUMENT_BYTES); not archived"
            ),
        )
    body = item.path.read_bytes()
    refusal = None
    if item.media_type is None:
        refusal = f"unsupported file type {item.path.suffix or '(no extension)'!r}; newsflow reads .txt, .html and .jsonl"
    return RawInput(
        origin="file",
        locator=locator,
        body=body,
        content_hash=hashlib.sha256(body).hexdigest(),
        size_bytes=len(body),
        media_type=item.media_type,
        partition_date=item.partition_date,
        refusal=refusal,
    )


def archive_files(
    conn: Conn,
    run_id: int,
    files: Iterable[InboxFile],
    settings: Settings,
    counts: dict[str, int],
    progress: Callable[[], None] | None = None,
) -> None:
    """Read and archive ``files`` into the run, adding each file's state to ``counts``
    (``files`` and one key per :data:`ArchiveState`). Does not commit."""
    for item in files:
        state: ArchiveState = archive(conn, run_id, read_inbox_file(item, settings)).state
        counts["files"] = counts.get("files", 0) + 1
        counts[state] = counts.get(state, 0) + 1
        if progress is not None:
            progress()
