"""Imported by the fork server of a task's prepare pool (:func:`newsflow.jobs.prepare_pool`),
whose processes are forked from it and share what it loaded: the extraction stack, the
language model and justext's stoplists. Each pool process otherwise loaded the model (73 MiB,
0.8 s of CPU) and built the stoplists (33 MiB, 0.3 s) for itself."""

import gc

import newsflow.stages  # noqa: F401  (decode, extraction, normalisation, trafilatura, lxml)
from newsflow.preload import preload_extraction

preload_extraction()
gc.freeze()  # out of the collector's sight: the forked pool processes do not copy its pages
