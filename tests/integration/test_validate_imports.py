"""A process that validates does not import what great-expectations imports but this suite
never uses (scipy.stats, altair: 85 MiB and seconds of CPU per process; psycopg2: 5 MiB), and
GX and SQLAlchemy still find them when they are needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

CHILD = r"""
import json, sys
from datetime import UTC, datetime
from newsflow import preload, validate
from newsflow.records import Normalized

preload.preload()
row = Normalized(
    text="words " * 300, title="A Title For The Check", title_derived=False, byline=None,
    published_at=datetime.now(UTC), published_at_source="jsonl", language="en", url=None,
    canonical_url=None, source=None, summary_points=[], cited_sources=[], repairs=[],
    word_count=300, content_hash="x", extractor_version="test",
)
outcome = validate.validate_batch([row, row])
state = {
    "validated": outcome.summary["success"],
    "stand_ins": {n: type(sys.modules[n]).__name__ for n in validate.DEFERRED_BY_GX},
    "loaded": sorted(
        n for n in ("scipy.stats._stats_py", "altair.vegalite", "psycopg2._psycopg")
        if n in sys.modules
    ),
}
# an expectation that uses them (KL divergence): the real modules, imported now
from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
state["entropy"] = round(float(kl.stats.entropy([0.5, 0.5], [0.9, 0.1])), 4)
state["chart"] = kl.alt.Chart.__module__
# a SQL data source on psycopg2 (SQLAlchemy's dialect imports the driver and its submodules)
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2
dbapi = PGDialect_psycopg2.import_dbapi()
from psycopg2 import extras
state["driver"] = [dbapi.paramstyle, extras.__name__, type(sys.modules["psycopg2"]).__name__]
state["after"] = {n: type(sys.modules[n]).__name__ for n in validate.DEFERRED_BY_GX}
print(json.dumps(state))
"""


@pytest.mark.slow
def test_validation_runs_without_scipy_stats_altair_and_psycopg2_until_they_are_needed():
    env = {**os.environ, "NEWSFLOW_PRELOAD": "true", "GX_ANALYTICS_ENABLED": "false"}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = json.loads(proc.stdout.strip().splitlines()[-1])
    assert state["validated"] is True
    assert state["stand_ins"] == dict.fromkeys(
        ("scipy.stats", "altair", "psycopg2"), "DeferredModule"
    )
    assert state["loaded"] == []
    assert state["entropy"] == 0.5108
    assert state["chart"].startswith("altair.")
    assert state["driver"] == ["pyformat", "psycopg2.extras", "module"]
    assert state["after"] == dict.fromkeys(("scipy.stats", "altair", "psycopg2"), "module")
