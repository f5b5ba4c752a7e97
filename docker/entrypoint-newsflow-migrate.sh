#!/usr/bin/env bash
# One-shot compose service `newsflow-migrate`: wait for the news database, apply sql/migrations
# (idempotent; an advisory lock serialises concurrent runs) and exit 0, so that the Airflow
# services, which depend on this one completing, start against an up-to-date schema.
set -euo pipefail

: "${NEWSFLOW_DATABASE_URL:?NEWSFLOW_DATABASE_URL must point at the news database}"
export PYTHONPATH="/opt/airflow/plugins${PYTHONPATH:+:${PYTHONPATH}}"
tries="${NEWSFLOW_MIGRATE_WAIT_TRIES:-30}"

# The probe exits 75 while the server does not accept connections; anything else but 0 (a broken
# image, a bad URL) fails at once instead of being retried.
for ((i = 1; i <= tries; i++)); do
    status=0
    python - <<'PY' || status=$?
import os, sys
import psycopg
try:
    psycopg.connect(os.environ["NEWSFLOW_DATABASE_URL"], connect_timeout=3).close()
except psycopg.OperationalError as exc:
    print(f"newsflow-migrate: news database not ready: {exc}".strip(), file=sys.stderr)
    sys.exit(75)
PY
    if ((status == 0)); then
        break
    fi
    if ((status != 75)); then
        echo "newsflow-migrate: cannot check the news database (exit ${status})" >&2
        exit "${status}"
    fi
    if ((i == tries)); then
        echo "newsflow-migrate: gave up waiting for the news database" >&2
        exit 1
    fi
    sleep 2
done

if command -v newsflow >/dev/null 2>&1 && python -c "import newsflow.cli" >/dev/null 2>&1; then
    exec newsflow db migrate "$@"
fi
# Without the CLI (the project itself is not pip-installed into the image), call the library.
exec python - "$@" <<'PY'
import logging
from newsflow import db

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
applied = db.migrate()
names = ", ".join(m.path.name for m in applied) or "none (schema up to date)"
print(f"newsflow-migrate: applied {names} on {db.describe_url(db.database_url())}")
PY
