"""``python -m newsflow_tools.bench [--quick] [--airflow] [--only SECTION ...]``: the sections
in order, in one bench environment (see the package's docstring)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import newsflow_tools.bench as package
from newsflow_tools.bench.config import Config, say
from newsflow_tools.bench.env import BenchEnv, bench_environment, header
from newsflow_tools.bench.events import section_events
from newsflow_tools.bench.feeds import section_feeds
from newsflow_tools.bench.files import section_files
from newsflow_tools.bench.lookups import section_lookups


def _latency(env: BenchEnv, cfg: Config) -> None:
    from newsflow_tools import bench_latency

    bench_latency.section_latency(env, cfg)


def _throughput(name: str, env: BenchEnv, cfg: Config) -> None:
    """A section of ``bench_throughput`` / ``bench_scaleout``."""
    from newsflow_tools import bench_scaleout, bench_throughput

    module = bench_scaleout if name == "section_scaleout" else bench_throughput
    getattr(module, name)(env, cfg)


SECTIONS: dict[str, Callable[..., None]] = {
    "files": section_files,
    "lookups": section_lookups,
    "feeds": section_feeds,
    "events": section_events,
    "html": lambda env, cfg: _throughput("section_html", env, cfg),
    "memory": lambda env, cfg: _throughput("section_memory", env, cfg),
    "startup": lambda env, cfg: _throughput("section_startup", env, cfg),
    "feedmemory": lambda env, cfg: _throughput("section_feedmemory", env, cfg),
    "scaleout": lambda env, cfg: _throughput("section_scaleout", env, cfg),
    "latency": _latency,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m newsflow_tools.bench", description=(package.__doc__ or "").split("\n")[0]
    )
    ap.add_argument("--quick", action="store_true", help="toy sizes (a smoke run)")
    ap.add_argument(
        "--airflow",
        action="store_true",
        help="also run the inbox through `airflow dags test news_files`",
    )
    ap.add_argument(
        "--only",
        choices=sorted(SECTIONS),
        action="append",
        help="run only this section (repeatable)",
    )
    args = ap.parse_args(argv)
    cfg = Config.quick() if args.quick else Config.full()
    started = time.perf_counter()
    with bench_environment() as env:
        header(env)
        if not args.only or "files" in args.only:
            section_files(env, cfg, airflow=args.airflow)
        if not args.only or "lookups" in args.only:
            section_lookups(env, cfg)
        if not args.only or "feeds" in args.only:
            section_feeds(env, cfg)
        if not args.only or "events" in args.only:
            section_events(env, cfg)
        for name in ("html", "memory", "feedmemory", "startup", "scaleout", "latency"):
            if not args.only or name in args.only:
                SECTIONS[name](env, cfg)
    say()
    say(f"bench finished in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
