"""Synthetic near-duplicate variants of real articles, one function per transformation.

Every transformation is deterministic given its ``random.Random``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

_HEADERS = [
    "Breaking News | World Desk\nBy Staff Reporter\nPublished {d} | Updated 2 hours ago",
    "ADVERTISEMENT\nHome > News > World\nShare this article: Facebook Twitter Email",
    "This story has been syndicated from our partner wire service.\nReading time: 4 minutes",
]
_FOOTERS = [
    "Copyright {y} Global News Network. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed.\nFollow us on Twitter and Facebook "
    "for the latest updates.\nRelated: Top stories of the day",
    "Sign up for our daily newsletter to get the top headlines delivered to your inbox.\n"
    "Comments (12)\nReport an error | Editorial standards | Privacy policy",
    "Additional reporting by our correspondents; editing by the news desk.\n"
    "Read more: what we know so far",
]
_FILLER = [
    "said",
    "reported",
    "officials",
    "according",
    "local",
    "people",
    "state",
    "group",
    "week",
    "year",
    "told",
    "added",
    "new",
    "after",
    "early",
    "more",
    "than",
    "about",
    "during",
    "under",
    "across",
    "near",
    "former",
    "major",
    "second",
]


def _lines(text: str) -> list[str]:
    return [ln for ln in text.split("\n") if ln.strip()]


def syndicated(text: str, rng: random.Random) -> str:
    """Wire copy: quote and dash styles, spacing and line wrapping change; words do not."""
    t = text
    if rng.random() < 0.5:
        t = re.sub(r'"([^"\n]*)"', "\u201c\\1\u201d", t).replace("'", "\u2019")
    else:
        t = t.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'")
    t = t.replace(" - ", " \u2014 ")
    t = re.sub(r" ", lambda m: "  " if rng.random() < 0.05 else " ", t)
    return "\n\n".join(_lines(t))


def boilerplate(text: str, rng: random.Random) -> str:
    """Re-post with a site header and footer added."""
    year = rng.randint(2008, 2024)
    header = rng.choice(_HEADERS).format(d=f"March {rng.randint(1, 28)}, {year}")
    footer = rng.choice(_FOOTERS).format(y=year)
    return f"{header}\n{text}\n{footer}"


def reordered(text: str, rng: random.Random) -> str:
    """Paragraphs (lines) in another order; the first line (headline) stays first."""
    lines = _lines(text)
    if len(lines) < 3:
        return text
    head, body = lines[0], lines[1:]
    for _ in range(5):
        rng.shuffle(body)
        if body != lines[1:]:
            break
    return "\n".join([head, *body])


def edited(fraction: float) -> Callable[[str, random.Random], str]:
    """Light edit: ``fraction`` of the words substituted (2/3) or dropped (1/3)."""

    def edit(text: str, rng: random.Random) -> str:
        out_lines = []
        for line in text.split("\n"):
            words = line.split(" ")
            new = []
            for w in words:
                r = rng.random()
                if r < fraction * 2 / 3:
                    new.append(rng.choice(_FILLER))
                elif r < fraction:
                    continue
                else:
                    new.append(w)
            out_lines.append(" ".join(new))
        return "\n".join(out_lines)

    edit.__name__ = f"edit_{round(fraction * 100)}pct"
    return edit


def new_headline(text: str, rng: random.Random, headline: str | None = None) -> str:
    """The headline (first line) replaced by another one."""
    lines = text.split("\n")
    if headline is None:
        words = re.findall(r"\w+", lines[0])
        rng.shuffle(words)
        headline = "UPDATE: " + " ".join(words[:6]).capitalize() + " - what we know"
    return "\n".join([headline, *lines[1:]])


def truncated(fraction: float) -> Callable[[str, random.Random], str]:
    """Only the first ``fraction`` of the words (cut inside a line), plus a 'read more' line."""

    def cut(text: str, rng: random.Random) -> str:
        tokens = re.split(r"(\s+)", text)  # keep separators
        n_words = sum(1 for t in tokens if t and not t.isspace())
        keep = max(1, round(n_words * fraction))
        out, seen = [], 0
        for t in tokens:
            if t and not t.isspace():
                seen += 1
                if seen > keep:
                    break
            out.append(t)
        return "".join(out).rstrip() + " ...\nRead the full story on our website."

    cut.__name__ = f"truncated_{round(fraction * 100)}pct"
    return cut


TRANSFORMS: dict[str, Callable[[str, random.Random], str]] = {
    "syndicated": syndicated,
    "boilerplate": boilerplate,
    "reordered": reordered,
    "edit_2pct": edited(0.02),
    "edit_5pct": edited(0.05),
    "edit_10pct": edited(0.10),
    "headline": new_headline,
    "truncated_80pct": truncated(0.80),
    "truncated_60pct": truncated(0.60),
    "truncated_50pct": truncated(0.50),
}
