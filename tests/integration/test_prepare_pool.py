"""The prepare pool's worker processes start in a process whose main script cannot be run
again (an Airflow task's is the ``airflow`` command): they must not run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
if __name__ != "__main__":
    raise SystemExit("the main script was run again in a worker process")
sys.path.insert(0, {plugins!r})
from newsflow import jobs
from newsflow.settings import get_settings
with jobs.prepare_pool(get_settings(), 64) as pool:
    assert pool is not None
    print(sorted(pool.map(abs, range(-4, 0))))
"""


def test_workers_do_not_run_the_main_script_again(tmp_path: Path) -> None:
    script = tmp_path / "main_script.py"
    script.write_text(SCRIPT.format(plugins=str(REPO / "plugins")))
    env = {**os.environ, "NEWSFLOW_PREPARE_PROCESSES": "2"}
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[1, 2, 3, 4]"
