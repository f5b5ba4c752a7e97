"""Start-up paid once per worker, not once per task.

Airflow 3 on Linux runs every task in a process *forked* from its worker (a Celery pool
process, a LocalExecutor worker). Whatever the worker has imported, each task process has
too, for free. The expensive part of a newsflow task is not Airflow's: it is importing
great-expectations (seconds of CPU: pandas, sqlalchemy, GX's own modules; not scipy.stats and
altair, see :func:`newsflow.validate.import_gx`) and building the suite, then trafilatura and
the extraction stack. :func:`preload` does both once, in the worker, before it forks:

* Celery workers: :mod:`newsflow.celery_config` (``[celery] celery_config_options``) calls it
  on ``worker_init``, in the worker's main process before its pool processes are forked;
* LocalExecutor (``make up``): ``plugins/airflow_local_settings.py`` calls it in the
  scheduler process, whose LocalExecutor workers are forked from it.

``NEWSFLOW_PRELOAD=false`` turns it off (the tasks then import what they need themselves).
Memory: the imported modules are shared copy-on-write between the worker and its tasks.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def preload() -> float:
    """Import the task stack, load the language model, build the validation suite and justext's
    stoplists; seconds it took (0 when off)."""
    from newsflow.settings import get_settings

    if not get_settings().preload:
        return 0.0
    started = time.perf_counter()
    import newsflow.ingest  # noqa: F401  (stages, extraction, dedupe, trafilatura, lxml)
    import newsflow.tasks  # noqa: F401
    from newsflow import validate

    preload_extraction()
    validate.preload()
    # What is loaded now lives as long as the worker: out of the garbage collector's sight,
    # so that collections in forked tasks neither walk it nor write to its pages (which
    # would copy them, process by process).
    gc.freeze()
    elapsed = time.perf_counter() - started
    log.info("newsflow: task stack preloaded in %.1f s", elapsed)
    return elapsed


def preload_extraction() -> None:
    """What preparing documents (decode, extract, normalise) otherwise loads at its first use:
    the language model and justext's stoplists. Also run by the prepare pool's fork server
    (:mod:`newsflow.prepare_worker`)."""
    from newsflow import normalize

    normalize.language_identifier()
    _justext_stoplist()


def _justext_stoplist() -> None:
    """trafilatura's justext fallback on a page of unknown language uses the stopwords of every
    language (154,484 words, as a tuple and again as justext's frozenset): built at the first
    such page, it cost every task that met one 0.3 s of CPU and 33 MiB of its own. Built here,
    it is shared by all of them. Internals of trafilatura and justext: if they move, the
    fallback builds it itself, as before."""
    try:
        from justext.core import define_stoplist
        from trafilatura.external import jt_stoplist_init

        define_stoplist(jt_stoplist_init())
    except (ImportError, AttributeError, TypeError) as exc:  # pragma: no cover
        log.warning("newsflow: justext's stoplists not preloaded (%s)", exc)
