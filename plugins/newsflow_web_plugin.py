"""Airflow plugin: the newsflow "News" view in Airflow's UI, and the WebSub callback.

Registers with the API server

* the WebSub callback app (:mod:`newsflow.web.websub`) under ``/newsflow/websub``: no Airflow
  login (a hub must reach it; every request is checked against the subscription instead);
  listed first, because the API server mounts the apps in this order and the News app's
  ``/newsflow`` mount would otherwise take ``/newsflow/websub/...`` too;
* the read-only News app (:mod:`newsflow.web.app`) under ``/newsflow``, behind Airflow's login,
  and "News" in the UI's navigation (an external view shown in Airflow's page at
  ``/plugin/news``).

Airflow imports this module wherever it loads plugins, so it only builds the app objects; the
news database is found and connected on the first request.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from newsflow.web.app import URL_PREFIX, create_app
from newsflow.web.websub import URL_PREFIX as WEBSUB_PREFIX
from newsflow.web.websub import create_websub_app


class NewsflowWebPlugin(AirflowPlugin):
    name = "newsflow"
    fastapi_apps = [
        {"app": create_websub_app(), "url_prefix": WEBSUB_PREFIX, "name": "newsflow WebSub"},
        {"app": create_app(), "url_prefix": URL_PREFIX, "name": "newsflow News"},
    ]
    external_views = [
        {
            "name": "News",
            # Relative: the UI resolves it against its base URL (Airflow behind a path works).
            "href": URL_PREFIX.lstrip("/") + "/events",
            "url_route": "news",
            "destination": "nav",
            "icon": URL_PREFIX.lstrip("/") + "/static/news.svg",
        }
    ]
