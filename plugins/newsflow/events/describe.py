"""How an event presents itself to a reader: headline, summary, keywords, places.

Derived from the event's state (centroids and the titles and leads of its members), so they
follow the event as it grows, splits and merges.
"""

from __future__ import annotations

from collections.abc import Mapping

from .docfreq import DocFreq, cosine
from .features import featurize
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
    """The member title closest to the event centroid (terms + names channels).

    ``titles`` (``{article_id: title}``) overrides the titles kept in the state.
    """
    idf = docfreq or DocFreq()
    members = [(m["id"], m.get("title") or "") for m in state.members]
    if titles:
        members = sorted(titles.items())
    best, best_sim = "", -1.0
    for _, title in members:
        f = featurize(title, title)
        sim = 0.5 * cosine(f.terms, state.terms, idf, "t:") + 0.5 * cosine(
            f.names, state.names, idf, "e:"
        )
        if sim > best_sim + 1e-12:
            best, best_sim = title, sim
    return best


def event_summary(state: EventState, docfreq: DocFreq | None = None) -> str:
    """Lead sentence of the member article whose title is the representative headline."""
    headline = representative_headline(state, docfreq)
    for m in state.members:
        if m.get("title") == headline:
            return m.get("lead") or headline
    return headline
