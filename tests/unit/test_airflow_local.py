"""`make up` (newsflow_tools.airflow_local) without Airflow: port checks, and a requested stop
that ends with exit 0 and no process left."""

from __future__ import annotations

import os
import signal
import socket
import stat
import threading
import time
from pathlib import Path

import pytest
from newsflow_tools import airflow_local


def _env(api: int, worker: int, trigger: int) -> dict[str, str]:
    return {
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(worker),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(trigger),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW_HOME": "/nonexistent",
        "AIRFLOW__CORE__DAGS_FOLDER": "/nonexistent",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": "/nonexistent",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_ports_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsflow.settings import get_settings

    monkeypatch.setenv("NEWSFLOW_AIRFLOW_PORT", "18080")
    monkeypatch.setenv("NEWSFLOW_AIRFLOW_WORKER_LOG_PORT", "18793")
    monkeypatch.setenv("NEWSFLOW_AIRFLOW_TRIGGER_LOG_PORT", "18794")
    settings = get_settings()
    assert (settings.airflow_port, settings.airflow_worker_log_port) == (18080, 18793)
    assert settings.airflow_trigger_log_port == 18794
    assert airflow_local.api_address() == ("127.0.0.1", 18080)


def test_a_taken_port_is_named_with_its_setting() -> None:
    free = [_free_port() for _ in range(2)]
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        problems = airflow_local.taken_ports(_env(free[0], taken, free[1]))
    assert len(problems) == 1
    assert f"port {taken}" in problems[0] and "NEWSFLOW_AIRFLOW_WORKER_LOG_PORT" in problems[0]
    assert airflow_local.taken_ports(_env(free[0], free[1], free[1]))[0].startswith(
        f"port {free[1]} is configured twice"
    )


def _fake_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str]) -> Path:
    """up() with a stand-in `airflow standalone` (a shell that sleeps) and no database."""
    script = tmp_path / "airflow"
    pidfile = tmp_path / "child.pid"
    script.write_text(f"#!/bin/sh\necho $$ > {pidfile}\nexec sleep 300\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(airflow_local, "build_env", lambda: env)
    monkeypatch.setattr(airflow_local, "airflow_executable", lambda: str(script))
    monkeypatch.setattr("newsflow.migrate.migrate", lambda url: [])
    monkeypatch.setattr("newsflow.db.database_url", lambda: "postgresql://x@localhost/news")
    monkeypatch.setenv("NEWSFLOW_AIRFLOW_PORT", env["AIRFLOW__API__PORT"])
    return pidfile


def test_up_refuses_a_taken_port_at_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.setattr(airflow_local, "health", lambda url, timeout=2.0: None)
        _fake_up(monkeypatch, tmp_path, _env(port, _free_port(), _free_port()))
        started = time.monotonic()
        assert airflow_local.up(wait_timeout=60) == 1
    assert time.monotonic() - started < 10
    err = capsys.readouterr().err
    assert f"port {port} (the Airflow UI and API) is already in use" in err
    assert "NEWSFLOW_AIRFLOW_PORT" in err


def test_a_requested_stop_exits_0_and_leaves_no_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pidfile = _fake_up(monkeypatch, tmp_path, _env(_free_port(), _free_port(), _free_port()))
    answers = iter([None])  # "nothing answers" for the pre-start check, then healthy
    healthy = {n: {"status": "healthy"} for n in airflow_local.HEALTH_COMPONENTS}
    monkeypatch.setattr(airflow_local, "health", lambda url, timeout=2.0: next(answers, healthy))
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}

    def stop_when_up() -> None:
        deadline = time.monotonic() + 20
        while "Airflow is up" not in capsys.readouterr().out and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=stop_when_up, daemon=True).start()
    try:
        code = airflow_local.up(wait_timeout=30)
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
    assert code == 0
    child = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


def test_make_up_unpauses_new_dags_and_uses_the_port_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", "postgresql://u:p@db:5432/news")
    monkeypatch.setenv("NEWSFLOW_AIRFLOW_WORKER_LOG_PORT", "18793")
    monkeypatch.setenv("NEWSFLOW_AIRFLOW_TRIGGER_LOG_PORT", "18794")
    base = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg://a@db/airflow"}
    env = airflow_local.build_env(base)
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "False"
    assert env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] == "18793"
    assert env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"] == "18794"
    # An AIRFLOW__ variable set by the user still wins.
    paused = airflow_local.build_env({**base, "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True"})
    assert paused["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "True"
