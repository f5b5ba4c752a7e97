"""Airflow for DAG tests: a metadata DB under the test home, migrated once per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def airflow_db() -> str:
    home = Path(os.environ["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    airflow = str(Path(sys.executable).with_name("airflow"))
    proc = subprocess.run(
        [airflow, "db", "migrate"], capture_output=True, text=True, env=os.environ.copy()
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    from airflow import settings

    settings.configure_orm()
    return os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
