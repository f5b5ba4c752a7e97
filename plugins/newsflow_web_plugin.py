"""Airflow plugin: the newsflow "News" view in Airflow's UI.

Registers the read-only News app (:mod:`newsflow.web.app`) with the API server under
``/newsflow`` and adds "News" to the UI's navigation (an external view shown in Airflow's page
at ``/plugin/news``). Airflow imports this module wherever it loads plugins, so it only builds
the app object; the news database is found and connected on the first request.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from newsflow.web.app import URL_PREFIX, create_app


class NewsflowWebPlugin(AirflowPlugin):
    name = "newsflow"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "newsflow News"}]
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
