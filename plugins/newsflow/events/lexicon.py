"""Word lists of the event features, kept as data files in ``lexicon/`` beside this module.

They are data, not code: a reviewer adds a title or a time zone by editing one line of a text
file. Each file holds one lowercase entry per line; ``#`` starts a comment. Loaded once at
import (they are small and every featurisation needs them).
"""

from __future__ import annotations

from pathlib import Path

LEXICON_DIR = Path(__file__).with_name("lexicon")


def _lines(name: str) -> list[str]:
    text = (LEXICON_DIR / name).read_text(encoding="utf-8")
    return [s for line in text.splitlines() if (s := line.split("#", 1)[0].strip())]


def _words(name: str) -> frozenset[str]:
    return frozenset(_lines(name))


def _months() -> dict[str, int]:
    out: dict[str, int] = {}
    for line in _lines("months.txt"):
        name, number = line.split()
        out[name] = int(number)
    return out


STOPWORDS = _words("stopwords.txt")
# month name or abbreviation -> month number
MONTHS = _months()
WEEKDAYS = _words("weekdays.txt")
# capitalised words that never make a name on their own
NOT_NAMES = STOPWORDS | WEEKDAYS | frozenset(MONTHS) | _words("not_names.txt")
# job titles dropped from the front of a name
TITLES = _words("titles.txt")
# words after a number that are not its unit
NUMBER_WORDS_SKIP = STOPWORDS | _words("number_units_skip.txt")
