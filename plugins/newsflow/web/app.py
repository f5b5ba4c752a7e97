"""The News view's FastAPI app: HTML pages over :mod:`newsflow.web.pages`.

Airflow's API server mounts it under ``/newsflow`` (``plugins/newsflow_web_plugin.py``) and its
navigation shows it as "News" in an iframe (Airflow's "external view"). Inside the API server
every page requires a logged-in Airflow user (the same JWT cookie the Airflow UI uses, checked
by Airflow's own ``requires_access_view(WEBSITE)``); without one it redirects to the login page.

Everything shown comes from third parties (titles, texts, URLs, reasons quoting them), so
templates autoescape everything, links are only made from http(s) URLs, and every response
carries a Content-Security-Policy that allows no inline script.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from newsflow.settings import get_settings
from newsflow.web import pages
from newsflow.web.database import NewsDatabase, NoNewsDatabase

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
URL_PREFIX = "/newsflow"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'self'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def safe_href(url: Any) -> str | None:
    """``url`` when it is an http(s) URL a link may point to, else None (no javascript: or
    data: links from third-party data)."""
    if not isinstance(url, str):
        return None
    parts = urllib.parse.urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def fmt_time(value: Any) -> str:
    if not isinstance(value, datetime):
        return "–" if value is None else str(value)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def fmt_json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def make_templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["time"] = fmt_time
    env.filters["pretty_json"] = fmt_json
    env.globals["safe_href"] = safe_href
    env.globals["has_airflow_run"] = pages.has_airflow_run
    return env


class Site:
    """Per-request link building: the app's own root and the Airflow UI's base."""

    def __init__(self, request: Request, prefix: str) -> None:
        self.root = request.scope.get("root_path", "").rstrip("/")
        base = self.root[: -len(prefix)] if self.root.endswith(prefix) else ""
        self.ui_base = base + "/"

    def url(self, path: str, **query: Any) -> str:
        params = {k: v for k, v in query.items() if v is not None and v != ""}
        suffix = "?" + urllib.parse.urlencode(params) if params else ""
        return f"{self.root}{path}{suffix}"

    def dag_run(self, dag_id: str, run_id: str) -> str:
        return (
            f"{self.ui_base}dags/{urllib.parse.quote(dag_id, safe='')}"
            f"/runs/{urllib.parse.quote(run_id, safe='')}"
        )

    def dag(self, dag_id: str) -> str:
        return f"{self.ui_base}dags/{urllib.parse.quote(dag_id, safe='')}"


async def airflow_user(request: Request) -> None:
    """Airflow's login check, as a dependency: the user of the request's JWT (bearer header or
    the UI's cookie) must exist and may see the Airflow UI (``AccessView.WEBSITE``).

    Airflow is imported here, on the first request, not when the plugin module is loaded:
    every Airflow process loads plugins, only the API server serves this app."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
    from airflow.api_fastapi.core_api.security import resolve_user_from_token

    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else None
    user = await resolve_user_from_token(token or request.cookies.get(COOKIE_NAME_JWT_TOKEN))
    if not get_auth_manager().is_authorized_view(access_view=AccessView.WEBSITE, user=user):
        raise StarletteHTTPException(403, "You may not see the Airflow UI, nor this view.")


def create_app(
    database: NewsDatabase | None = None,
    *,
    authenticate: bool = True,
    prefix: str = URL_PREFIX,
) -> FastAPI:
    """The News app. ``authenticate=False`` (tests) skips Airflow's login check; ``prefix``
    is where Airflow mounts it, to find the Airflow UI's base URL from the request."""
    news_db = database or NewsDatabase()
    templates = make_templates()
    app = FastAPI(title="newsflow News", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.news_db = news_db
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    dependencies = [Depends(airflow_user)] if authenticate else []
    router = APIRouter(dependencies=dependencies)

    def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
        site = Site(request, prefix)
        html = templates.get_template(template).render(
            site=site, request_path=request.url.path, database=news_db.described, **context
        )
        return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)

    def page_size() -> int:
        return max(1, min(get_settings().web_page_size, 500))

    def not_found(request: Request, what: str) -> Response:
        return render(request, "error.html", 404, title="Not found", message=f"No {what}.")

    @router.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        return RedirectResponse(Site(request, prefix).url("/events"), status_code=307)

    @router.get("/events")
    def events_list(request: Request, after: str | None = None) -> Response:
        with news_db.connection() as conn:
            page = pages.events(conn, after, page_size())
        return render(request, "events.html", title="Latest events", page=page)

    @router.get("/events/{event_id}")
    def event_page(request: Request, event_id: int, after: str | None = None) -> Response:
        with news_db.connection() as conn:
            page = pages.event(conn, event_id, after, page_size())
        if page is None:
            return not_found(request, f"event {event_id}")
        return render(request, "event.html", title=page.extra["event"]["title"], page=page)

    @router.get("/articles")
    def articles_list(request: Request, after: str | None = None) -> Response:
        with news_db.connection() as conn:
            page = pages.articles(conn, after, page_size())
        return render(request, "articles.html", title="Latest articles", page=page)

    @router.get("/articles/{article_id}")
    def article_page(request: Request, article_id: int, after: str | None = None) -> Response:
        with news_db.connection() as conn:
            page = pages.article(conn, article_id, after, page_size())
        if page is None:
            return not_found(request, f"article {article_id}")
        return render(request, "article.html", title=page.extra["article"]["title"], page=page)

    @router.get("/quarantine")
    def quarantine_list(
        request: Request,
        after: str | None = None,
        run: int | None = Query(None, description="ingest_runs.id"),
    ) -> Response:
        with news_db.connection() as conn:
            page = pages.quarantine(conn, after, page_size(), run)
        return render(request, "quarantine.html", title="Quarantine", page=page, run=run)

    @router.get("/feeds")
    def feeds_list(request: Request, after: str | None = None) -> Response:
        with news_db.connection() as conn:
            page = pages.feeds(conn, after, page_size())
        return render(request, "feeds.html", title="Feed health", page=page)

    @router.get("/runs")
    def runs_list(request: Request, after: str | None = None) -> Response:
        with news_db.connection() as conn:
            page = pages.runs(conn, after, page_size())
        return render(request, "runs.html", title="Ingest runs", page=page)

    @router.get("/runs/{ingest_run_id}")
    def run_page(request: Request, ingest_run_id: int) -> Response:
        with news_db.connection() as conn:
            data = pages.run(conn, ingest_run_id, page_size())
        if data is None:
            return not_found(request, f"ingest run {ingest_run_id}")
        title = f"Run {data['run']['dag_id']} / {data['run']['run_id']}"
        return render(request, "run.html", title=title, **data)

    app.include_router(router)

    @app.exception_handler(pages.BadCursor)
    def bad_cursor(request: Request, exc: pages.BadCursor) -> Response:
        return render(
            request,
            "error.html",
            400,
            title="Bad page link",
            message="This page link is not one the News view made; start from the first page.",
        )

    @app.exception_handler(NoNewsDatabase)
    def no_database(request: Request, exc: NoNewsDatabase) -> Response:
        return render(request, "error.html", 503, title="No news database", message=str(exc))

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 401 and authenticate:
            from airflow.api_fastapi.app import get_auth_manager

            login = get_auth_manager().get_url_login(next_url=str(request.url))
            return RedirectResponse(login, status_code=303)
        message = exc.detail if isinstance(exc.detail, str) else "The request failed."
        return render(request, "error.html", exc.status_code, title="Error", message=message)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[..., Any]) -> Response:
        response: Response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    return app
