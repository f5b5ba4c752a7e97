"""The great-expectations suite run on every batch of normalised articles.

GX Core is called directly (the GX Airflow provider does not install beside Airflow 3.3): an
ephemeral context, a pandas batch of the batch's articles, ``result_format="COMPLETE"`` with a
row id column, so that every failed expectation maps back to the rows that failed it. Rows that
fail go to quarantine with their reasons; the others continue. The summary is stored with the run.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from newsflow.records import Normalized
from newsflow.settings import Settings, get_settings

log = logging.getLogger(__name__)
# great-expectations logs ~200 lines of its own set-up (functions registered, docs sites) at
# INFO in every task; only its warnings belong in an operator's log.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

# A publication date this far ahead of "now" is treated as wrong (clock skew allowance).
FUTURE_TOLERANCE = timedelta(hours=2)
URL_REGEX = (
    r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$"
    r"|^https?://(?:localhost|127\.0\.0\.1)(?::\d+)?(?:[/?#]\S*)?$"
)


@dataclass
class ValidationOutcome:
    failures: dict[int, list[str]]  # row index in the batch -> reasons
    summary: dict[str, Any]  # stored in ingest_runs.validation

    def passed(self, row: int) -> bool:
        return row not in self.failures


def _reason(expectation: str, column: str, kwargs: dict[str, Any], value: Any) -> str:
    if hasattr(value, "item"):  # a numpy scalar from the pandas batch: show it as a number
        value = value.item()
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "...'"
    if expectation == "expect_column_values_to_not_be_null":
        return f"{column} is missing"
    if expectation == "expect_column_value_lengths_to_be_between":
        return (
            f"{column} length {len(value) if isinstance(value, str) else '?'} outside "
            f"[{kwargs.get('min_value')}, {kwargs.get('max_value')}]"
        )
    if expectation == "expect_column_values_to_be_between" and column == "published_epoch":
        when = (
            datetime.fromtimestamp(float(value), tz=UTC).isoformat() if value is not None else "?"
        )
        if (
            kwargs.get("max_value") is not None
            and value is not None
            and value > kwargs["max_value"]
        ):
            return f"published_at {when} is in the future"
        return f"published_at {when} is implausibly old"
    if expectation == "expect_column_values_to_be_between":
        return f"{column} {shown} outside [{kwargs.get('min_value')}, {kwargs.get('max_value')}]"
    if expectation == "expect_column_values_to_be_in_set":
        return f"{column} {shown} not in accepted set {sorted(kwargs.get('value_set') or [])}"
    if expectation == "expect_column_values_to_match_regex":
        return f"{column} {shown} is not a valid http(s) URL"
    return f"{column} failed {expectation}"


def build_suite(settings: Settings, now: datetime) -> list[Any]:
    import great_expectations as gx

    e = gx.expectations
    suite: list[Any] = [
        e.ExpectColumnValuesToNotBeNull(column="title"),
        e.ExpectColumnValuesToNotBeNull(column="text"),
        e.ExpectColumnValuesToNotBeNull(column="content_hash"),
        e.ExpectColumnValueLengthsToBeBetween(
            column="text", min_value=settings.min_text_chars, max_value=settings.max_text_chars
        ),
        e.ExpectColumnValueLengthsToBeBetween(
            column="title", min_value=3, max_value=settings.max_title_chars
        ),
        e.ExpectColumnValuesToNotBeNull(column="language"),
        e.ExpectColumnValuesToMatchRegex(column="url", regex=URL_REGEX),
        e.ExpectColumnValuesToMatchRegex(column="canonical_url", regex=URL_REGEX),
        # Stored as epoch seconds: GX compares numbers reliably across pandas versions.
        e.ExpectColumnValuesToBeBetween(
            column="published_epoch",
            max_value=(now + FUTURE_TOLERANCE).timestamp(),
            min_value=datetime(1990, 1, 1, tzinfo=UTC).timestamp(),
        ),
        e.ExpectColumnValuesToBeBetween(column="word_count", min_value=20),
    ]
    if settings.languages:
        suite.append(
            e.ExpectColumnValuesToBeInSet(column="language", value_set=list(settings.languages))
        )
    return suite


def validate_batch(
    rows: list[Normalized], *, settings: Settings | None = None, now: datetime | None = None
) -> ValidationOutcome:
    """Run the suite over ``rows``; return per-row failure reasons and a JSON summary."""
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    if not rows:
        return ValidationOutcome({}, {"success": True, "evaluated": 0, "expectations": []})

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    import pandas as pd
    from great_expectations.data_context.types.base import ProgressBarsConfig

    frame = pd.DataFrame(
        {
            "row_id": list(range(len(rows))),
            "title": [r.title or None for r in rows],
            "text": [r.text or None for r in rows],
            "content_hash": [r.content_hash for r in rows],
            "language": [r.language for r in rows],
            "url": [r.url for r in rows],
            "canonical_url": [r.canonical_url for r in rows],
            "published_epoch": [
                r.published_at.timestamp() if r.published_at else None for r in rows
            ],
            "word_count": [r.word_count for r in rows],
        }
    )
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("newsflow")
    batch_definition = source.add_dataframe_asset("articles").add_batch_definition_whole_dataframe(
        "batch"
    )
    suite = context.suites.add(gx.ExpectationSuite(name="newsflow_articles"))
    for expectation in build_suite(settings, now):
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="newsflow_batch", data=batch_definition, suite=suite)
    )
    result = definition.run(
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row_id"]},
    )

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
            }
        )
    summary = {
        "success": bool(result.success),
        "evaluated": len(rows),
        "failed_rows": len(failures),
        "suite": "newsflow_articles",
        "great_expectations": gx.__version__,
        "expectations": expectations_summary,
    }
    return ValidationOutcome(failures, summary)
