"""The worker's preload builds what tasks would otherwise each build for themselves."""

from __future__ import annotations

import pytest

from newsflow import normalize, preload, validate


def test_preload_builds_the_justext_stoplist(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setenv("NEWSFLOW_PRELOAD", "true")
    monkeypatch.setattr(normalize, "language_identifier", lambda: calls.append("langid"))
    monkeypatch.setattr(validate, "preload", lambda: calls.append("suite"))
    monkeypatch.setattr(preload, "_justext_stoplist", lambda: calls.append("stoplist"))
    monkeypatch.setattr(preload.gc, "freeze", lambda: calls.append("freeze"))
    preload.preload()
    assert calls == ["langid", "stoplist", "suite", "freeze"]


def test_the_stoplist_is_the_one_trafilaturas_fallback_then_uses() -> None:
    from justext.core import define_stoplist
    from trafilatura import external

    preload._justext_stoplist()
    assert external.JT_STOPLIST and len(external.JT_STOPLIST) > 100_000
    hits = define_stoplist.cache_info().hits
    # what try_justext does on a page of unknown language: no new list, no new frozenset
    define_stoplist(external.JT_STOPLIST or external.jt_stoplist_init())
    assert define_stoplist.cache_info().hits == hits + 1
