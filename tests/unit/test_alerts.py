"""Where a failure notification goes: the URL made from the ``newsflow_alerts`` connection."""

from __future__ import annotations

import pytest
from airflow.sdk import Connection

from newsflow.alerts import webhook_url


@pytest.mark.parametrize(
    ("conn", "url"),
    [
        # chat webhooks carry their key and token in the query, which Airflow moves to extra
        (
            Connection.from_uri(
                "https://chat.example.com/v1/spaces/AAA/messages?key=KEY&token=TOK",
                conn_id="newsflow_alerts",
            ),
            "https://chat.example.com/v1/spaces/AAA/messages?key=KEY&token=TOK",
        ),
        # a whole URL typed as the host in the UI (it became http://https://...)
        (
            Connection(
                conn_id="newsflow_alerts",
                conn_type="http",
                host="https://hooks.example.com/services/T0/B0/XYZ",
            ),
            "https://hooks.example.com/services/T0/B0/XYZ",
        ),
        (
            Connection(
                conn_id="newsflow_alerts", conn_type="http", host="127.0.0.1", port=9000,
                schema="hook",
            ),
            "http://127.0.0.1:9000/hook",
        ),
        (
            Connection(
                conn_id="newsflow_alerts", conn_type="http",
                extra='{"url": "https://hooks.example.com/x?a=1"}',
            ),
            "https://hooks.example.com/x?a=1",
        ),
    ],
)  # fmt: skip
def test_the_webhook_url_keeps_what_the_connection_says(conn: Connection, url: str) -> None:
    assert webhook_url(conn) == url
