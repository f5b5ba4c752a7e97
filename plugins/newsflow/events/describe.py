"""How an event presents itself to a reader: headline, summary, keywords, places, and why each
article is in it.

Derived from the event's state (centroids and the titles and leads of its members), so they
follow the event as it grows, splits and merges.

The headline rule: among the members whose title came from the source (not derived from the
text's first sentence), the one closest to the event's centroid (terms and names, IDF-weighted
cosine); only when no member has a real title, the closest derived one. Ties go to the
earliest member kept in the state.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from functools import lru_cache

from .docfreq import DocFreq, IdfCache
from .features import ArticleFeatures, featurize
from .state import EventState


def event_keywords(state: EventState, docfreq: DocFreq | None = None, n: int = 8) -> list[str]:
    """Top centroid terms (by centroid weight x IDF)."""
    idf = docfreq or DocFreq()
    ranked = sorted(state.terms.items(), key=lambda kv: (-kv[1] * idf.idf("t:" + kv[0]), kv[0]))
    return [k for k, _ in ranked[:n]]


def event_places(state: EventState, n: int = 5) -> list[str]:
    """Most mentioned places (by number of member articles)."""
    return [k for k, _ in sorted(state.places.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def representative_headline(
    state: EventState,
    docfreq: DocFreq | None = None,
    titles: Mapping[int, str] | None = None,
) -> str:
    """The event's headline by the rule of the module docstring.

    ``titles`` (``{article_id: title}``, all taken as real titles) overrides the titles kept
    in the state.
    """
    docfreq = docfreq or DocFreq()
    idf = IdfCache(docfreq)
    members = [(m.get("title") or "", bool(m.get("derived"))) for m in state.members]
    if titles:
        members = [(t, False) for _, t in sorted(titles.items())]
    real = [t for t, derived in members if not derived and t]
    pool = real or [t for t, _ in members]
    docfreq.prefetch(k for title in pool for k in _title_features(title).keys())  # noqa: SIM118
    centroid = {"t:": idf.weigh(state.terms, "t:"), "e:": idf.weigh(state.names, "e:")}

    def cos(vec: Mapping[str, float], prefix: str) -> float:
        (wb, nb) = centroid[prefix]
        if not vec or not nb:
            return 0.0
        wa, na = idf.weigh(vec, prefix)
        return sum(x * wb.get(k, 0.0) for k, x in wa.items()) / (na * nb) if na else 0.0

    best, best_sim = "", -1.0
    for title in pool:
        f = _title_features(title)
        sim = 0.5 * cos(f.terms, "t:") + 0.5 * cos(f.names, "e:")
        if sim > best_sim + 1e-12:
            best, best_sim = title, sim
    return best


@lru_cache(maxsize=8192)
def _title_features(title: str) -> ArticleFeatures:
    """Features of a title alone (cached: every save of an event ranks its members' titles)."""
    return featurize(title, title)


def event_summary(
    state: EventState, docfreq: DocFreq | None = None, headline: str | None = None
) -> str:
    """Lead sentence of the member article whose title is the headline (computed when not
    given)."""
    if headline is None:
        headline = representative_headline(state, docfreq)
    for m in state.members:
        if m.get("title") == headline:
            return str(m.get("lead") or headline)
    return headline


def _date(key: str) -> str:
    if key.startswith("year:"):
        return key[5:]
    month, _, day = key[5:].partition("-")
    return f"{calendar.month_name[int(month)]} {day}"


def evidence(
    features: ArticleFeatures,
    terms: Sequence[Mapping[str, float]],
    names: Sequence[Mapping[str, float]],
    facts: Sequence[Mapping[str, float]],
    idf: IdfCache,
    n: int = 5,
) -> dict[str, list[str]]:
    """The features an article shares with others (their vectors per channel: the members
    it was placed with, or an event's centroid), strongest first: ``names`` (people,
    organisations), ``places``, ``terms``, ``dates`` and ``numbers``. A feature's strength is
    its weight in the article x IDF x the share of the others that have it."""
    out: dict[str, list[str]] = {}

    def shared(
        vec: Mapping[str, float], others: Sequence[Mapping[str, float]], prefix: str
    ) -> list[str]:
        if not others:
            return []
        scored = []
        for k, v in vec.items():
            share = sum(1 for o in others if o.get(k, 0.0) > 0) / len(others)
            if share:
                scored.append((-v * idf.get(prefix, k) * share, k))
        return [k for _, k in sorted(scored)]

    canonical = {p.lower(): p for p in features.places}
    ranked_names = shared(features.names, names, "e:")
    ranked_facts = shared(features.facts, facts, "n:")
    buckets = {
        "names": [k for k in ranked_names if not k.startswith("place:")],
        "places": [canonical.get(k[6:], k[6:]) for k in ranked_names if k.startswith("place:")],
        "terms": shared(features.terms, terms, "t:"),
        "dates": [_date(k) for k in ranked_facts if k.startswith(("date:", "year:"))],
        "numbers": [k for k in ranked_facts if not k.startswith(("date:", "year:"))],
    }
    for channel, keys in buckets.items():
        if keys:
            out[channel] = keys[:n]
    return out


def why_text(similarity: float | None, evidence: Mapping[str, Sequence[str]] | None) -> str:
    """One line for analysts: the similarity and the shared features that placed an article."""
    parts = [f"{channel}: {', '.join(keys)}" for channel, keys in (evidence or {}).items() if keys]
    sim = f"similarity {similarity:.2f}" if similarity is not None else "similarity unknown"
    return f"{sim}; shares " + "; ".join(parts) if parts else f"{sim}; no shared feature kept"
