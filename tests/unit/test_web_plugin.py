"""The Airflow plugin module registers the News view the way Airflow 3.3 loads plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import json
from airflow import plugins_manager
from airflow.api_fastapi.app import RESERVED_URL_PREFIXES
plugins, errors = plugins_manager._get_plugins()
news = [p for p in plugins if p.name == "newsflow"]
apps, _ = plugins_manager.get_fastapi_plugins()
views, _ = plugins_manager._get_ui_plugins()
print(json.dumps({
    "errors": {str(k): str(v) for k, v in errors.items()},
    "plugins": len(news),
    "apps": [{"prefix": a["url_prefix"], "routes": sorted(r.path for r in a["app"].routes)}
             for a in apps],
    "views": [{k: v for k, v in v.items()} for v in views],
    "reserved": RESERVED_URL_PREFIXES,
}))
"""


def test_airflow_loads_the_news_plugin(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "NEWSFLOW_"))} | {
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": str(REPO / "plugins"),
    }
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert found["errors"] == {} and found["plugins"] == 1
    prefixes = [a["prefix"] for a in found["apps"]]
    # the WebSub callback (no login) is mounted before the News app that shares its prefix
    assert prefixes.index("/newsflow/websub") < prefixes.index("/newsflow")
    [callback] = [a for a in found["apps"] if a["prefix"] == "/newsflow/websub"]
    assert callback["routes"] == ["/{feed_id}"]
    [app] = [a for a in found["apps"] if a["prefix"] == "/newsflow"]
    assert not any(app["prefix"].startswith(p) for p in found["reserved"])
    for route in (
        "/events",
        "/articles/{article_id}",
        "/quarantine",
        "/feeds",
        "/runs/{ingest_run_id}",
    ):
        assert route in app["routes"]
    [view] = [v for v in found["views"] if v["url_route"] == "news"]
    # Shown in the navigation; a relative href resolves against Airflow's base URL.
    assert view["name"] == "News" and view["destination"] == "nav"
    assert view["href"] == "newsflow/events" and not view.get("category")
