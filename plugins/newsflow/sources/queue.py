"""The message queue: articles pushed as JSON messages onto a Redis stream.

A message is a stream entry with the field ``article`` holding one article as a JSON object,
in the shape of a ``.jsonl`` line of the inbox (``text`` required; ``title``, ``url``,
``source``, ``published_at``, ``author``, ``language`` optional; see
:func:`newsflow.extract.extract_jsonl_record`)::

    XADD newsflow:articles * article '{"title": "...", "text": "...", "url": "https://..."}'

newsflow reads the stream with a consumer group (``NEWSFLOW_QUEUE_GROUP``, created at the
stream's start when missing). :func:`take` first re-claims entries delivered earlier but not
acknowledged for ``NEWSFLOW_QUEUE_CLAIM_IDLE`` seconds (their run died), then reads new ones,
``NEWSFLOW_QUEUE_BATCH`` at most. Each message is archived like an inbox file
(:func:`to_raw_input`: origin ``queue``, locator ``redis://<stream>/<entry id>``, the
``article`` bytes as an ``application/jsonl`` document of one line), so an identical message
pushed twice, or delivered twice, is recognised by the content-addressed archive.

:func:`acknowledge` acknowledges (``XACK``) the entries of a run whose documents are settled in
Postgres (stored, a duplicate, quarantined), and only those: the database decides, not the
success of a task. An entry whose document is not settled stays pending and is taken again
later; a crash between storing and acknowledging costs a redelivery that archiving turns into
a no-op. A message that cannot be an article (no ``article`` field, not JSON, not an object,
over the size cap) is archived with a refusal, quarantined at ``acquire`` with the reason, and
acknowledged like any settled message.

Nothing here commits: the caller owns the transaction (and decides when to acknowledge).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from newsflow import db
from newsflow.archive import ArchiveState, RawInput, archive_many
from newsflow.db import Conn

# redis is imported where a client is made: importing it costs 0.5 s of CPU and 8 MiB beside the
# rest of the task stack (26 MiB on its own: cryptography, opentelemetry) in every task that
# imports the jobs, most of which use no queue.
if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

FIELD = "article"
MEDIA_TYPE = "application/jsonl"
ACK_BATCH = 500

Fields = Mapping[bytes | str, bytes | str]


@dataclass(frozen=True)
class Message:
    """One stream entry as delivered: its id and its fields."""

    entry_id: str
    fields: Fields


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def locator(stream: str, entry_id: str) -> str:
    """Where a message came from: ``redis://<stream>/<entry id>``."""
    return f"redis://{stream}/{entry_id}"


def entry_id_of(stream: str, located: str) -> str | None:
    """The entry id in a locator of ``stream`` (None: another stream, or not a queue locator)."""
    prefix = locator(stream, "")
    return located[len(prefix) :] if located.startswith(prefix) else None


# An entry id's time outside these bounds is not when the message was pushed.
_PLAUSIBLE_PUSH = datetime(2000, 1, 1, tzinfo=UTC)
_PUSH_CLOCK_SKEW = timedelta(hours=1)


def pushed_at(entry_id: str) -> datetime | None:
    """When the entry was added (the milliseconds of an auto-generated id)."""
    try:
        millis = int(entry_id.split("-", 1)[0])
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _one_line(article: bytes) -> bool:
    """Whether the JSON text is one line, as the JSONL decoder reads it (it splits on every
    line boundary Python knows, U+2028 included)."""
    try:
        text = article.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return sum(1 for line in text.splitlines() if line.strip()) == 1


def to_raw_input(stream: str, message: Message, max_bytes: int) -> RawInput:
    """The message as a document to archive. The ``article`` bytes are kept as they arrived
    when they are one line of JSON; a JSON object spread over several lines is archived
    re-serialised on one line (the JSONL reader takes a line as one record). A message that
    cannot be an article becomes a refusal (quarantined at ``acquire``, with its reason)."""
    entry = message.entry_id
    moment = pushed_at(entry)
    now = datetime.now(UTC)
    if moment is None or not _PLAUSIBLE_PUSH <= moment <= now + _PUSH_CLOCK_SKEW:
        # an id its producer chose ("1-1": 1970) or a Redis clock far off: as the time the
        # document was obtained, it made every real publication date "in the future"
        moment = now
    common: dict[str, Any] = {
        "origin": "queue",
        "locator": locator(stream, entry),
        "partition_date": moment.date() if moment else None,
        "fetched_at": moment,
    }
    by_name = {_text(k): v for k, v in message.fields.items()}
    if FIELD not in by_name:
        names = ", ".join(sorted(by_name)) or "none"
        body = json.dumps({k: _text(v) for k, v in sorted(by_name.items())}).encode()
        return RawInput(
            body=body if len(body) <= max_bytes else None,
            content_hash=hashlib.sha256(body).hexdigest(),
            size_bytes=len(body),
            media_type="application/json",
            refusal=f"message has no {FIELD!r} field (its fields: {names}); not an article",
            **common,
        )
    article = _bytes(by_name[FIELD])
    if len(article) > max_bytes:
        return RawInput(
            body=None,
            content_hash=hashlib.sha256(article).hexdigest(),
            size_bytes=len(article),
            media_type=MEDIA_TYPE,
            refusal=(
                f"message is {len(article) / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB "
                "limit (NEWSFLOW_MAX_DOCUMENT_BYTES); not archived"
            ),
            **common,
        )
    refusal: str | None = None
    body = article
    try:
        record = json.loads(article)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        refusal = f"the {FIELD!r} field is not valid JSON ({str(exc)[:200]})"
    except RecursionError:  # nested deeper than the parser goes: it raised for the whole batch
        refusal = f"the {FIELD!r} field is nested too deeply to be read"
    else:
        if not isinstance(record, dict):
            refusal = (
                f"the {FIELD!r} field must be a JSON object (one article), "
                f"got {type(record).__name__}"
            )
        elif not _one_line(article):
            body = json.dumps(record, ensure_ascii=True).encode("ascii")
            common["entry_meta"] = {"reformatted": "JSON over several lines, put on one line"}
    return RawInput(
        body=body,
        content_hash=hashlib.sha256(body).hexdigest(),
        size_bytes=len(body),
        media_type=MEDIA_TYPE,
        refusal=refusal,
        **common,
    )


def connect(url: str) -> redis.Redis:
    """A client of the queue's Redis (bytes in, bytes out; bounded waits)."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)


def ensure_group(client: redis.Redis, stream: str, group: str) -> None:
    """Create the consumer group at the stream's start (and the stream) unless it exists."""
    import redis

    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _messages(entries: Iterable[Any]) -> list[Message]:
    return [
        Message(_text(entry_id), fields)
        for entry_id, fields in entries
        if fields is not None  # deleted from the stream while pending
    ]


def take(
    client: redis.Redis,
    stream: str,
    group: str,
    consumer: str,
    *,
    batch: int,
    claim_idle_s: float,
    lost: list[str] | None = None,
) -> list[Message]:
    """Up to ``batch`` messages for ``consumer``: first those delivered before but not
    acknowledged for ``claim_idle_s`` seconds (XAUTOCLAIM), then new ones (XREADGROUP ``>``).
    They stay pending in the group until :func:`acknowledge`. The ids of pending entries the
    stream no longer holds (trimmed or deleted before they were stored) are added to
    ``lost``."""
    ensure_group(client, stream, group)
    taken: list[Message] = []
    start = "0-0"
    while len(taken) < batch:
        reply = client.xautoclaim(
            stream,
            group,
            consumer,
            min_idle_time=int(claim_idle_s * 1000),
            start_id=start,
            count=batch - len(taken),
        )
        taken.extend(_messages(reply[1]))
        gone = [_text(i) for i in reply[2]] if len(reply) > 2 else []
        if gone:  # trimmed or deleted before any run stored them: Redis forgets them here
            log.warning(
                "%d pending entries of %s were deleted from the stream before they were "
                "stored (trimmed with MAXLEN?); their content is lost: %s",
                len(gone), stream, ", ".join(gone[:20]),
            )  # fmt: skip
            if lost is not None:
                lost.extend(gone)
        start = _text(reply[0])
        if start == "0-0":
            break
    if len(taken) < batch:
        read: Any = client.xreadgroup(group, consumer, {stream: ">"}, count=batch - len(taken))
        # [[stream, entries]] (RESP2) or {stream: [entries]} (RESP3)
        for _stream, entries in read.items() if isinstance(read, dict) else read or []:
            taken.extend(_messages(entries[0] if isinstance(read, dict) else entries))
    return taken


def _raw_or_refusal(stream: str, message: Message, max_bytes: int) -> RawInput:
    """:func:`to_raw_input`, or, should reading the message raise, a refusal that says so: one
    message must not fail its batch (which would be claimed again, and fail again, for ever)."""
    try:
        return to_raw_input(stream, message, max_bytes)
    except Exception as exc:
        log.exception("queue message %s could not be read", message.entry_id)
        entry = message.entry_id
        key = f"newsflow-unreadable\0{stream}\0{entry}".encode()
        return RawInput(
            origin="queue",
            locator=locator(stream, entry),
            body=None,
            content_hash=hashlib.sha256(key).hexdigest(),
            size_bytes=0,
            media_type=MEDIA_TYPE,
            refusal=f"the message could not be read ({type(exc).__name__}: {str(exc)[:200]})",
        )


def archive_messages(
    conn: Conn, run_id: int, stream: str, messages: Iterable[Message], max_bytes: int
) -> dict[str, int]:
    """Archive the messages into the run; counts of messages and per archive state."""
    counts: dict[str, int] = {"messages": 0}
    raws = [_raw_or_refusal(stream, message, max_bytes) for message in messages]
    for done in archive_many(conn, run_id, raws):
        state: ArchiveState = done.state
        counts["messages"] += 1
        counts[state] = counts.get(state, 0) + 1
    return counts


def acknowledge(
    conn: Conn, client: redis.Redis, stream: str, group: str, run_id: int
) -> dict[str, int]:
    """Acknowledge the run's entries whose documents are settled in the database; the
    others stay pending (taken again after the claim idle time). Counts."""
    settled: list[str] = []
    unsettled = 0
    rows = db.fetch_all(
        conn, "queue/run_entries", {"run_id": run_id, "prefix": locator(stream, "")}
    )
    for row in rows:
        entry = entry_id_of(stream, str(row["locator"]))
        if entry is None:
            continue
        if row["settled"]:
            settled.append(entry)
        else:
            unsettled += 1
    acked = 0
    for start in range(0, len(settled), ACK_BATCH):
        acked += int(client.xack(stream, group, *settled[start : start + ACK_BATCH]))
    return {"entries": len(settled) + unsettled, "acked": acked, "unsettled": unsettled}


def push(client_or_url: redis.Redis | str, stream: str, record: Mapping[str, Any]) -> str:
    """Push one article (a JSONL-shaped record) onto the stream; the entry id. For producers,
    tests and the latency bench."""
    client = connect(client_or_url) if isinstance(client_or_url, str) else client_or_url
    try:
        entry = client.xadd(stream, {FIELD: json.dumps(record, ensure_ascii=False)})
    finally:
        if isinstance(client_or_url, str):
            client.close()
    return _text(entry)
