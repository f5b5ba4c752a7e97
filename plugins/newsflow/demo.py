"""The demo site that ``make run`` serves itself on 127.0.0.1: ``data/demo_feed`` (RSS, Atom,
OPML, article pages, robots.txt), so that the feed path shows in the summary."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from newsflow.settings import PROJECT_ROOT

log = logging.getLogger(__name__)
DEMO_SITE = PROJECT_ROOT / "data" / "demo_feed"
DEFAULT_PORT = 8765


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".xml": "application/xml",
        ".html": "text/html; charset=utf-8",
        ".txt": "text/plain; charset=utf-8",
    }

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        name = os.fspath(path)
        if name.endswith("feed.xml"):
            return "application/rss+xml; charset=utf-8"
        if name.endswith("atom.xml"):
            return "application/atom+xml; charset=utf-8"
        return super().guess_type(name)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug("demo site: " + format, *args)


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def serve(site: Path = DEMO_SITE, port: int | None = None) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1; yields the base URL (ending in ``/``).

    The port is fixed (``NEWSFLOW_DEMO_PORT``, default 8765) so the demo's feed and page URLs
    stay the same from one run to the next; a busy port falls back to a free one."""
    wanted = port if port is not None else int(os.environ.get("NEWSFLOW_DEMO_PORT") or DEFAULT_PORT)
    if wanted and not _free(wanted):
        log.warning("port %s is busy; the demo site uses a free port instead", wanted)
        wanted = 0
    handler = functools.partial(_Handler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", wanted), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def opml_for(base: str, site: Path = DEMO_SITE) -> bytes:
    """The demo OPML with its ``{base}`` placeholder replaced by the served URL."""
    return (site / "opml.xml").read_text(encoding="utf-8").replace("{base}", base).encode()
