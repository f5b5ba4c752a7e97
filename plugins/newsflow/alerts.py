"""Failure notifications through Airflow's notifier mechanism, configured by a connection.

Every newsflow task has :class:`NewsflowNotifier` as its ``on_failure_callback`` (it fires
once a task has failed for good, after its retries). Where it sends is an Airflow connection,
``newsflow_alerts`` by default (``NEWSFLOW_ALERTS_CONN_ID``), managed like any other in the UI
or as ``AIRFLOW_CONN_NEWSFLOW_ALERTS``:

* an ``http`` connection: a JSON POST to ``http(s)://host:port/path`` (the path is the
  connection's schema, or ``extra.path``), e.g. a chat webhook or an incident tool;
* an ``smtp`` connection: an e-mail through the SMTP provider to ``extra.to``.

No connection, no notification (logged once). A notification that cannot be sent is logged and
never hides the task's own failure.
"""

from __future__ import annotations

import html
import json
import logging
import urllib.request
from typing import Any

from airflow.sdk.bases.notifier import BaseNotifier

log = logging.getLogger(__name__)


def _payload(context: Any) -> dict[str, Any]:
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    exception = context.get("exception")
    return {
        "event": "newsflow task failed",
        "dag_id": getattr(dag_run, "dag_id", None) or getattr(ti, "dag_id", None),
        "run_id": getattr(dag_run, "run_id", None) or getattr(ti, "run_id", None),
        "task_id": getattr(ti, "task_id", None),
        "map_index": getattr(ti, "map_index", None),
        "try_number": getattr(ti, "try_number", None),
        "error": str(exception) if exception else None,
        "log_url": getattr(ti, "log_url", None),
    }


# extras that say where the webhook is; any other scalar extra came from the URI's query
# string (Airflow moves ``?key=...&token=...`` there) and goes back into it
_LOCATION_EXTRAS = frozenset({"url", "https", "path"})


def webhook_url(conn: Any) -> str:
    """The webhook's URL: the ``url`` extra, or the connection's host, port and path (a host
    typed as a whole URL is taken as one) with the query the connection's URI carried (chat
    webhooks put their key and token there)."""
    from urllib.parse import urlencode

    extra = conn.extra_dejson or {}
    if extra.get("url"):
        return str(extra["url"])
    host = str(conn.host or "")
    if host.lower().startswith(("http://", "https://")):
        base = host.rstrip("/")
    else:
        https = (conn.conn_type or "").lower() == "https" or extra.get("https")
        port = f":{conn.port}" if conn.port else ""
        base = f"{'https' if https else 'http'}://{host}{port}"
    path = str(extra.get("path") or conn.schema or "").lstrip("/")
    # a whole URL typed as the host ends where it was typed to end
    url = base if not path and base == host.rstrip("/") else f"{base}/{path}"
    query = {
        k: v
        for k, v in extra.items()
        if k not in _LOCATION_EXTRAS
        and isinstance(v, str | int | float)
        and not isinstance(v, bool)
    }
    return f"{url}?{urlencode(query)}" if query else url


class NewsflowNotifier(BaseNotifier):
    """Send a task failure to the ``newsflow_alerts`` connection (HTTP webhook or SMTP)."""

    def __init__(self, conn_id: str | None = None) -> None:
        super().__init__()
        self.conn_id = conn_id

    def notify(self, context: Any) -> None:
        from airflow.sdk import Connection
        from airflow.sdk.exceptions import AirflowNotFoundException

        from newsflow.settings import get_settings

        conn_id = self.conn_id or get_settings().alerts_conn_id
        try:
            conn = Connection.get(conn_id)
        except AirflowNotFoundException:
            log.info("no connection %r: failure notification not sent", conn_id)
            return
        payload = _payload(context)
        if (conn.conn_type or "").lower() == "smtp":
            self._email(conn, conn_id, payload, context)
            return
        request = urllib.request.Request(
            webhook_url(conn),
            data=json.dumps(payload, default=str).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            log.info("failure notification sent to %s: HTTP %s", conn_id, response.status)

    def _email(self, conn: Any, conn_id: str, payload: dict[str, Any], context: Any) -> None:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        to = (conn.extra_dejson or {}).get("to")
        if not to:
            log.warning("connection %r has no extra 'to': failure e-mail not sent", conn_id)
            return
        subject = f"newsflow: {payload['dag_id']}.{payload['task_id']} failed"
        body = "<br>".join(f"<b>{k}</b>: {html.escape(str(v))}" for k, v in payload.items())
        SmtpNotifier(to=to, subject=subject, html_content=body, smtp_conn_id=conn_id).notify(
            context
        )
