"""The local Airflow UI in a real browser: log in, see the newsflow DAGs, trigger news_files,
see the run succeed.

Headless Debian Chromium (``/usr/bin/chromium``, ``apt-get install chromium``; ``.ci/run``
installs it) driven by Playwright's sync API; Playwright's own browser downloads are not used.
Skipped with a clear message where Chromium is absent. A screenshot of the page is saved in the
test's tmp dir when a step fails.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.integration.helpers import article_text, query

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium's own background connections get refused on a closed network
    # and page loads stall.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DAG_ID = "news_files"
RUN_TIMEOUT = 180.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium); "
        "the browser test of the Airflow UI needs it",
    ),
]


def test_login_trigger_news_files_and_see_success(live_airflow, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    live = live_airflow
    title = f"Browser check {time.time_ns()}"
    loose = live.inbox / "ui" / "browser-check.txt"  # a manual run takes everything pending
    loose.parent.mkdir(parents=True, exist_ok=True)
    loose.write_text(f"{title}\n\n{article_text(9001)}\n", encoding="utf-8")

    started = time.monotonic()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(30_000)
        step = "open the UI"
        try:
            page.goto(live.url + "/", wait_until="domcontentloaded")
            step = "log in through the login form"
            page.wait_for_url(re.compile(r".*/auth/login.*"))
            page.get_by_label("Username").fill(live.user)
            page.get_by_label("Password").fill(live.password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(re.compile(re.escape(live.url) + r"/(\?.*)?$"))

            step = "see the newsflow DAGs in the DAG list"
            page.goto(live.url + "/dags", wait_until="domcontentloaded")
            for dag_id in ("news_files", "news_feeds", "news_events"):
                sync_api.expect(page.get_by_role("link", name=dag_id, exact=True)).to_be_visible()

            step = "open news_files"
            page.get_by_role("link", name=DAG_ID, exact=True).click()
            page.wait_for_url(re.compile(rf".*/dags/{DAG_ID}(/.*)?$"))

            step = "trigger news_files through the Trigger dialog"
            # Wait for the DAG page itself: the list had one Trigger button per DAG.
            trigger = page.get_by_test_id("trigger-dag-button")
            sync_api.expect(trigger).to_have_count(1)
            sync_api.expect(page.get_by_text("Latest Dag Version")).to_be_visible()
            trigger.click()
            dialog = page.get_by_role("dialog")
            sync_api.expect(dialog.get_by_text(f"Trigger Dag - {DAG_ID}")).to_be_visible()
            unpause = dialog.get_by_role("checkbox", name=re.compile("Unpause"))
            if unpause.count() and not unpause.is_checked():
                unpause.check()
            dialog.get_by_role("button", name="Trigger").click()
            # The UI moves to the new run's page: /dags/news_files/runs/<run_id>
            page.wait_for_url(re.compile(rf".*/dags/{DAG_ID}/runs/[^/?]+"))
            run_id = urllib.parse.unquote(page.url.split("/runs/")[1].split("/")[0].split("?")[0])
            assert run_id.startswith("manual__"), run_id

            step = f"wait until the UI shows run {run_id} as success"
            state = _wait_for_state_in_runs_list(page, live.url, run_id)
            ui_seconds = time.monotonic() - started
            assert state == "Success", live.explain_run(DAG_ID, run_id)
        except Exception:
            shot = tmp_path / "failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"\ne2e browser: failed at step {step!r}; screenshot {shot}; URL {page.url}")
            raise
        finally:
            browser.close()

    print(f"\ne2e browser: login to green news_files run {run_id} in {ui_seconds:.1f}s")
    run = live.dag_run(DAG_ID, run_id)
    assert run["state"] == "success" and run["run_type"] == "manual", run
    ingested = query(live.news_url, "SELECT title FROM news.articles WHERE title = %s", (title,))
    assert ingested == [{"title": title}], "the UI-triggered run did not ingest the pending file"


def _wait_for_state_in_runs_list(page, base_url: str, run_id: str) -> str:
    """Reload the DAG's Runs tab until the run's row shows a final state; return it."""
    deadline = time.monotonic() + RUN_TIMEOUT
    state = ""
    while time.monotonic() < deadline:
        page.goto(f"{base_url}/dags/{DAG_ID}/runs", wait_until="domcontentloaded")
        row = page.get_by_role("row").filter(has_text=run_id)
        try:
            row.first.wait_for(timeout=15_000)
            text = row.first.inner_text()
        except Exception:  # the table is still loading
            continue
        for candidate in ("Success", "Failed"):
            if re.search(rf"\b{candidate}\b", text):
                return candidate
        state = text
        page.wait_for_timeout(3000)
    raise AssertionError(f"run {run_id} not finished in the UI after {RUN_TIMEOUT:.0f}s: {state!r}")
