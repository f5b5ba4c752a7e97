"""The great-expectations suite run on every batch of normalised articles.

GX Core is called directly (the GX Airflow provider does not install beside Airflow 3.3): an
ephemeral context, a pandas batch of the batch's articles, ``result_format="COMPLETE"`` with a
row id column, so that every failed expectation maps back to the rows that failed it. Rows that
fail go to quarantine with their reasons; the others continue. The summary is stored with the run.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import os
import re
import sys
import threading
import types
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from newsflow.extract import dates
from newsflow.extract.dates import EARLIEST_PLAUSIBLE, implausibility
from newsflow.normalize import MAX_URL_CHARS
from newsflow.records import Normalized
from newsflow.settings import Settings, get_settings
from newsflow.text import derive_title, is_timestamp, make_encodable, shorten_title

log = logging.getLogger(__name__)
# great-expectations logs ~200 lines of its own set-up (functions registered, docs sites) at
# INFO in every task; only its warnings belong in an operator's log.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

# Modules great-expectations imports when it starts but uses only inside expectations this
# suite does not have (KL divergence and Kolmogorov-Smirnov tests: scipy.stats; their charts:
# altair; and psycopg2, a driver for SQL data sources, imported only to see whether it is there:
# the suite validates data frames, and the project's driver is psycopg 3). They are imported at
# their first use instead: 90 MiB and seconds of CPU less in every process that validates (see
# :func:`import_gx`).
DEFERRED_BY_GX = ("scipy.stats", "altair", "psycopg2")


class DeferredModule(types.ModuleType):
    """Stands in ``sys.modules`` for a module not imported yet. ``import x`` and
    ``from package import x`` give the stand-in without running anything; the first attribute
    asked of it imports the real module (which then takes its place in ``sys.modules`` and on
    its package) and answers from it, as does every later one.

    Not :class:`importlib.util.LazyLoader`: its module runs as soon as the import system looks
    at it again (an ``import x`` statement reads ``x.__spec__``), which every importer of
    altair does."""

    def __getattr__(self, attr: str) -> Any:  # only for what the stand-in itself lacks
        return getattr(_import_deferred(self), attr)


# reentrant: the real module, while it runs, may reach the stand-in again (a module of its
# package doing ``from package import x`` gets it from the package)
_DEFERRED_LOCK = threading.RLock()


def _import_deferred(stand_in: DeferredModule) -> types.ModuleType:
    with _DEFERRED_LOCK:
        real = stand_in.__dict__.get("_deferred_real")
        if real is None:
            name = stand_in.__name__
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
            parent, _, child = name.rpartition(".")
            if parent and getattr(sys.modules.get(parent), child, None) is stand_in:
                delattr(sys.modules[parent], child)
            real = importlib.import_module(name)
            stand_in.__dict__["_deferred_real"] = real
        return real


def defer_import(name: str) -> None:
    """Put a :class:`DeferredModule` for ``name`` in ``sys.modules``, unless ``name`` is
    already imported or is not installed."""
    if name in sys.modules:
        return
    try:
        if importlib.util.find_spec(name) is None:
            return
    except (ImportError, ValueError):
        return
    stand_in = DeferredModule(name)
    sys.modules[name] = stand_in
    parent, _, child = name.rpartition(".")
    if parent:  # as the import system does: a submodule is an attribute of its package
        setattr(sys.modules[parent], child, stand_in)


def import_gx() -> Any:
    """``great_expectations``, imported with :data:`DEFERRED_BY_GX` deferred."""
    if "great_expectations" not in sys.modules:
        for name in DEFERRED_BY_GX:
            defer_import(name)
    import great_expectations as gx

    return gx


# Rows kept per failed expectation in the summary, as examples an operator can open.
EXAMPLES_KEPT = 5
# A publication date this far ahead of "now" is wrong: extraction's limit (against the fetch
# time), so validation never drops a date extraction chose over the document's other dates.
FUTURE_TOLERANCE = dates.FUTURE_TOLERANCE
URL_REGEX = (
    r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$"
    r"|^https?://(?:localhost|127\.0\.0\.1)(?::\d+)?(?:[/?#]\S*)?$"
)
_URL_RE = re.compile(URL_REGEX)
MIN_TITLE_CHARS = 3
MAX_SOURCE_CHARS = 200  # a publication's name; longer is some other text in the field
MIN_WORDS = 20


@dataclass
class ValidationOutcome:
    failures: dict[int, list[str]]  # row index in the batch -> reasons (sentences)
    summary: dict[str, Any]  # stored in ingest_runs.validation
    # row index -> field repairs made before the suite ran (also appended to the row's repairs)
    repairs: dict[int, list[str]] = field(default_factory=dict)

    def passed(self, row: int) -> bool:
        return row not in self.failures


def _shown(value: Any, limit: int = 80) -> str:
    """A value as an analyst reads it: text in quotes, cut; numbers plain (no numpy reprs)."""
    if value is None:
        return "nothing"
    if isinstance(value, bytes | bytearray):
        return f"{len(value)} bytes of binary data"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) or hasattr(value, "item"):
        number = value.item() if hasattr(value, "item") else value
        return f"{number:g}" if isinstance(number, float) else str(number)
    text = str(value)
    return f"“{text[: limit - 1]}…”" if len(text) > limit else f"“{text}”"


def _count(value: Any) -> str:
    if value is None:
        return "?"
    number = value.item() if hasattr(value, "item") else value
    return f"{int(number):,}" if isinstance(number, int | float) else str(number)


def _reason(expectation: str, column: str, kwargs: dict[str, Any], value: Any) -> str:
    """One failed expectation for one article, as a sentence."""
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if expectation == "expect_column_values_to_not_be_null":
        return {
            "text": "The article has no text.",
            "title": "The article has no title.",
            "content_hash": "The article has no content hash.",
            "language": "The article's language could not be detected.",
        }.get(column, f"The article has no {column}.")
    if expectation == "expect_column_value_lengths_to_be_between":
        length = len(value) if isinstance(value, str) else None
        if length is not None and low is not None and length < low:
            return (
                f"The {column} length is {length:,} characters; at least {_count(low)} are needed."
            )
        return f"The {column} length is {_count(length)} characters; at most {_count(high)} are allowed."
    if expectation == "expect_column_values_to_be_between" and column == "published_epoch":
        when = (
            datetime.fromtimestamp(float(value), tz=UTC).date().isoformat()
            if value is not None
            else "?"
        )
        if high is not None and value is not None and value > high:
            return f"The publication date {when} lies in the future."
        return f"The publication date {when} is implausibly old."
    if expectation == "expect_column_values_to_be_between" and column == "word_count":
        return f"The article has {_count(value)} words; at least {_count(low)} are needed."
    if expectation == "expect_column_values_to_be_between":
        return f"The {column} is {_shown(value)}, outside {_count(low)} to {_count(high)}."
    if expectation == "expect_column_values_to_be_in_set":
        accepted = ", ".join(sorted(kwargs.get("value_set") or []))
        return f"The article's language {_shown(value)} is not accepted (accepted: {accepted})."
    if expectation == "expect_column_values_to_match_regex":
        return f"The {column.replace('_', ' ')} {_shown(value)} is not a valid http(s) URL."
    return f"The {column} failed the check {expectation}."


def repair_fields(row: Normalized, settings: Settings, now: datetime) -> list[str]:
    """Repair or drop the fields of ``row`` that are broken while the article is not.

    A broken *article* (no text, too short, wrong language) is for the suite to reject; a
    broken *field* is no reason to lose the article: an over-long title is shortened at a
    clause or word boundary, a missing or too short one, or one that is only a date or time
    stamp ("Posted 11/27/2005 7:21 AM"), is made from the text, an invalid URL
    or an impossible publication date is dropped. Mutates ``row``; each repair is appended to
    ``row.repairs`` and returned."""
    done: list[str] = []
    stamp = is_timestamp(row.title or "")
    if row.text and (stamp or not row.title or len(row.title.strip()) < MIN_TITLE_CHARS):
        derived = derive_title(row.text)
        if len(derived) >= MIN_TITLE_CHARS and not is_timestamp(derived):
            problem = "is a date or time stamp, not a headline" if stamp else "was too short"
            done.append(f"title-derived: the title {_shown(row.title)} {problem}")
            row.title, row.title_derived = derived, True
    if row.title and len(row.title) > settings.max_title_chars:
        shortened = shorten_title(row.title, settings.max_title_chars)
        done.append(f"title-shortened: from {len(row.title)} to {len(shortened)} characters")
        row.title = shortened
    for name in ("url", "canonical_url"):
        value = getattr(row, name)
        if value is not None and not _URL_RE.match(value):
            done.append(f"{name}-dropped: {_shown(value)} is not a valid http(s) URL")
            setattr(row, name, None)
        elif value is not None and len(value) > MAX_URL_CHARS:
            done.append(f"{name}-dropped: {len(value)} characters, over {MAX_URL_CHARS}")
            setattr(row, name, None)
    if row.source is not None and len(row.source) > MAX_SOURCE_CHARS:
        # a source's name is a key (news.sources.name): a blob there is a broken field
        done.append(f"source-dropped: {len(row.source)} characters, over {MAX_SOURCE_CHARS}")
        row.source = None
    if row.published_at is not None:
        why = implausibility(row.published_at, now, FUTURE_TOLERANCE)
        if why is not None:
            done.append(f"date-dropped:{row.published_at_source or 'unknown'}: {why}")
            row.published_at, row.published_at_source = None, None
    for repair in done:
        if repair not in row.repairs:
            row.repairs.append(repair)
    return done


def build_suite(settings: Settings) -> list[Any]:
    """The expectations. Article-level ones decide quarantine; the field-level ones (title,
    URLs, date) only guard :func:`repair_fields`, which runs first, and should reject nothing.
    The latest plausible publication time moves with the clock: it is the suite parameter
    ``latest_published``, given at each run."""
    e = import_gx().expectations
    suite: list[Any] = [
        # the article: it has text, of a plausible size, in words of its script
        e.ExpectColumnValuesToNotBeNull(column="text"),
        e.ExpectColumnValuesToNotBeNull(column="content_hash"),
        e.ExpectColumnValueLengthsToBeBetween(
            column="text", min_value=settings.min_text_chars, max_value=settings.max_text_chars
        ),
        e.ExpectColumnValuesToBeBetween(column="word_count", min_value=MIN_WORDS),
        # the fields, after repair
        e.ExpectColumnValuesToNotBeNull(column="title"),
        e.ExpectColumnValueLengthsToBeBetween(
            column="title", min_value=MIN_TITLE_CHARS, max_value=settings.max_title_chars
        ),
        e.ExpectColumnValuesToMatchRegex(column="url", regex=URL_REGEX),
        e.ExpectColumnValuesToMatchRegex(column="canonical_url", regex=URL_REGEX),
        # Stored as epoch seconds: GX compares numbers reliably across pandas versions.
        e.ExpectColumnValuesToBeBetween(
            column="published_epoch",
            max_value={"$PARAMETER": "latest_published"},
            min_value=EARLIEST_PLAUSIBLE.timestamp(),
        ),
    ]
    if settings.languages:
        # a wrong (or undetectable) language makes the article unwanted, not a field defect
        suite.append(e.ExpectColumnValuesToNotBeNull(column="language"))
        suite.append(
            e.ExpectColumnValuesToBeInSet(column="language", value_set=list(settings.languages))
        )
    return suite


def _encodable(value: str | None) -> str | None:
    """Strings great-expectations can hash (normalisation already made them so; this guards
    rows built elsewhere)."""
    return make_encodable(value)[0] if value else None


@dataclass(frozen=True)
class _Runtime:
    """A great-expectations context with the suite and its validation definition, built
    once per process and per suite settings (building them costs ~0.1 s and ~200 log
    lines; importing great-expectations, seconds: see :func:`preload`)."""

    gx: Any
    context: Any
    definition: Any


def _suite_key(settings: Settings) -> tuple[Any, ...]:
    """The settings the suite depends on (a new key, a new suite)."""
    return (
        settings.min_text_chars,
        settings.max_text_chars,
        settings.max_title_chars,
        settings.languages,
    )


@functools.cache
def _runtime(key: tuple[Any, ...]) -> _Runtime:
    min_text, max_text, max_title, languages = key
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    settings = replace(
        get_settings(),
        min_text_chars=min_text,
        max_text_chars=max_text,
        max_title_chars=max_title,
        languages=languages,
    )
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("newsflow")
    batch_definition = source.add_dataframe_asset("articles").add_batch_definition_whole_dataframe(
        "batch"
    )
    suite = context.suites.add(gx.ExpectationSuite(name="newsflow_articles"))
    for expectation in build_suite(settings):
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="newsflow_batch", data=batch_definition, suite=suite)
    )
    return _Runtime(gx, context, definition)


def preload() -> None:
    """Import great-expectations and build the suite now (not at the first batch): called
    where a process forks task processes (a Celery or LocalExecutor worker, see
    ``newsflow.preload``), so that every task starts with the validator ready."""
    _runtime(_suite_key(get_settings()))


def validate_batch(
    rows: list[Normalized], *, settings: Settings | None = None, now: datetime | None = None
) -> ValidationOutcome:
    """Run the suite over ``rows``; return per-row failure reasons and a JSON summary."""
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    if not rows:
        return ValidationOutcome(
            {}, {"success": True, "evaluated": 0, "expectations": [], "field_repairs": {}}
        )

    repaired: dict[int, list[str]] = {}
    for number, article in enumerate(rows):
        done = repair_fields(article, settings, now)
        if done:
            repaired[number] = done

    import pandas as pd

    frame = pd.DataFrame(
        {
            "row_id": list(range(len(rows))),
            "title": [_encodable(r.title) for r in rows],
            "text": [_encodable(r.text) for r in rows],
            "content_hash": [r.content_hash for r in rows],
            "language": [r.language for r in rows],
            "url": [_encodable(r.url) for r in rows],
            "canonical_url": [_encodable(r.canonical_url) for r in rows],
            "published_epoch": [
                r.published_at.timestamp() if r.published_at else None for r in rows
            ],
            "word_count": [r.word_count for r in rows],
        }
    )
    runtime = _runtime(_suite_key(settings))
    result = runtime.definition.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters={"latest_published": (now + FUTURE_TOLERANCE).timestamp()},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row_id"]},
    )
    gx = runtime.gx

    failures: dict[int, list[str]] = {}
    expectations_summary: list[dict[str, Any]] = []
    for item in result.results:
        config = item.expectation_config
        if config is None:  # GX always sets it for a suite's results
            raise RuntimeError("great-expectations returned a result without its expectation")
        kwargs = dict(config.kwargs)
        column = kwargs.get("column", "?")
        unexpected = item.result.get("unexpected_index_list") or []
        if item.exception_info and item.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"expectation {config.type} on {column} raised: "
                f"{item.exception_info.get('exception_message')}"
            )
        for entry in unexpected:
            row = int(entry["row_id"])
            failures.setdefault(row, []).append(
                _reason(config.type, column, kwargs, entry.get(column))
            )
        expectations_summary.append(
            {
                "expectation": config.type,
                "column": column,
                "success": bool(item.success),
                "unexpected_count": len(unexpected),
                # positions in the batch of the first rows that failed it
                "examples": [int(entry["row_id"]) for entry in unexpected[:EXAMPLES_KEPT]],
            }
        )
    summary = {
        "success": bool(result.success),
        "evaluated": len(rows),
        "failed_rows": len(failures),
        "suite": "newsflow_articles",
        "great_expectations": gx.__version__,
        "expectations": expectations_summary,
        "field_repairs": _repair_counts(repaired),
    }
    return ValidationOutcome(failures, summary, repaired)


def _repair_counts(repaired: dict[int, list[str]]) -> dict[str, int]:
    """How many rows had each kind of field repair (``title-shortened``, ``url-dropped`` ...)."""
    counts: dict[str, int] = {}
    for done in repaired.values():
        for kind in {r.split(":", 1)[0] for r in done}:
            counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items()))
