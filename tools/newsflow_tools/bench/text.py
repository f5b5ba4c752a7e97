"""Synthetic news for the bench: English-like prose from fixed word lists and a seeded RNG,
headlines, bylines, edited and truncated re-posts, and article pages as a news site serves them.

The sentences are grammatical-looking; their 3-word shingles overlap between two unrelated
articles about as little as real news (mean Jaccard ~0.005), so unrelated texts are neither
near-duplicates nor LSH candidates.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime


def _words(text: str) -> list[str]:
    return text.split()


NOUNS = _words(
    """
government minister council city region country police court judge lawyer company market economy
bank price inflation budget tax law bill parliament election vote campaign party leader
president mayor official spokesman spokeswoman report statement investigation inquiry hospital
doctor nurse patient school teacher student university research study scientist climate weather
storm flood fire drought heat river bridge road railway train station airport flight passenger
driver car bus truck accident crash border army soldier troops attack ceasefire talks agreement
deal treaty protest crowd demonstrator strike union worker job factory plant energy oil gas
power electricity grid water supply shortage crop farmer harvest food village town district
province capital coast island port ship fleet fisherman tourist museum library festival concert
film director artist writer book prize award team match season player coach club league final
goal record fan stadium ticket officer suspect victim witness family child parent resident
neighbour community charity volunteer donation aid convoy refugee camp shelter tent blanket
winter summer spring autumn morning evening night week month year decade century history plan
project programme scheme policy reform rule regulation standard safety risk threat warning alert
emergency response service network system software data computer phone internet website platform
app user customer consumer store shop sale profit loss share investor fund debt loan rate
interest currency export import trade tariff sanction embassy diplomat envoy summit meeting
conference committee board member chair chief executive manager staff employee engineer expert
analyst critic supporter opponent rival candidate voter poll survey result figure number
estimate forecast growth decline increase rise fall drop surge cut change move step decision
ruling verdict sentence appeal case trial charge fine penalty ban order permit licence contract
tender cost fee payment salary pension benefit subsidy grant building tower house home apartment
street square park garden forest mountain valley lake sea beach wall gate door window roof floor
room office headquarters site area zone field land ground
"""
)

_VERBS = _words(
    """
said announced confirmed denied reported warned told added explained argued claimed insisted
suggested agreed refused rejected approved launched opened closed reopened started ended began
finished delayed postponed cancelled suspended resumed expanded reduced raised lowered increased
cut boosted doubled halved hit reached passed missed won lost beat defeated led joined left
entered visited toured inspected met called urged asked demanded promised pledged vowed planned
proposed introduced unveiled published released revealed discovered found identified arrested
charged detained freed rescued evacuated moved shifted sent delivered received collected bought
sold paid spent invested borrowed owed saved built repaired damaged destroyed blocked cleared
flooded burned struck attacked defended protected supported backed criticised blamed praised
thanked welcomed hosted organised held staged marked celebrated remembered honoured elected
appointed named replaced fired hired trained tested checked measured counted estimated predicted
expected feared hoped managed handled
"""
)

_ADJECTIVES = _words(
    """
new old local national regional international global public private federal central northern
southern eastern western coastal rural urban major minor senior junior former current early late
recent previous next final first second third last main key large small big huge tiny high low
strong weak heavy light long short wide narrow deep open closed free fair tough hard easy quick
slow rapid sudden gradual steady sharp modest significant serious severe mild critical urgent
rare common unusual familiar popular controversial historic annual monthly weekly daily official
unofficial independent joint temporary permanent partial full complete limited extra additional
remaining available missing damaged empty crowded busy quiet calm
"""
)

_PREPOSITIONS = _words(
    """
of to in on for with at by from as after before during under over into about against between
through across around near without within
"""
)

_TIMES = [
    "on Monday",
    "on Tuesday",
    "on Wednesday",
    "on Thursday",
    "on Friday",
    "on Saturday",
    "on Sunday",
    "last week",
    "this week",
    "earlier this month",
    "last month",
    "on Monday evening",
    "late on Friday",
    "early on Sunday",
    "this morning",
    "overnight",
    "in recent days",
    "for the first time",
    "since the spring",
    "until next year",
]
_CONJUNCTIONS = ["and", "but", "while", "because", "although", "after", "as", "so", "when"]
_DETERMINERS = ("a", "this", "that", "its", "their")
_SYLLABLES = _words(
    """
an bel cor dan el fer gor han is jan kel lor mar nor ol per quin ros sel tor ul var wen yor zan
ba ce di fo gu ka le mi no ru sa te vi
"""
)


def pick(rng: random.Random, seq: Sequence[str]) -> str:
    # rng.choice, without its per-call overhead (the generator's hot path)
    return seq[int(rng.random() * len(seq))]


def proper_name(rng: random.Random) -> str:
    r = rng.random
    n = len(_SYLLABLES)
    name = _SYLLABLES[int(r() * n)] + _SYLLABLES[int(r() * n)]
    if r() < 0.25:
        name += _SYLLABLES[int(r() * n)]
    return name.capitalize()


def _noun_phrase(rng: random.Random, out: list[str]) -> None:
    r = rng.random
    out.append("the" if r() < 0.7 else pick(rng, _DETERMINERS))
    if r() < 0.5:
        out.append(pick(rng, _ADJECTIVES))
    out.append(pick(rng, NOUNS))
    if r() < 0.25:
        out.append("of")
        out.append(proper_name(rng))


def _sentence(rng: random.Random) -> str:
    r = rng.random
    x = r()
    words: list[str] = []
    if x < 0.2:
        words += [proper_name(rng), proper_name(rng)]
    elif x < 0.3:
        words += [str(2 + int(r() * 1999)), pick(rng, NOUNS) + "s"]
    else:
        _noun_phrase(rng, words)
    words.append(pick(rng, _VERBS))
    _noun_phrase(rng, words)
    x = r()
    for _ in range(0 if x < 0.25 else 1 if x < 0.75 else 2):
        words.append(pick(rng, _PREPOSITIONS))
        _noun_phrase(rng, words)
    if r() < 0.4:
        words.append(pick(rng, _TIMES))
    if r() < 0.35:
        words[-1] += ","
        words.append(pick(rng, _CONJUNCTIONS))
        _noun_phrase(rng, words)
        words.append(pick(rng, _VERBS))
        if r() < 0.5:
            _noun_phrase(rng, words)
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def paragraphs(rng: random.Random, n_words: int) -> list[str]:
    """Paragraphs of 2-5 sentences, about ``n_words`` words in all."""
    out: list[str] = []
    count = 0
    while count < n_words:
        para = " ".join([_sentence(rng) for _ in range(2 + int(rng.random() * 4))])
        count += para.count(" ") + 1
        out.append(para)
    return out


def headline(rng: random.Random) -> str:
    words = [proper_name(rng), pick(rng, NOUNS), pick(rng, _VERBS)]
    phrase: list[str] = []
    _noun_phrase(rng, phrase)
    words += phrase[1:]
    if rng.random() < 0.5:
        words += ["in", proper_name(rng)]
    return " ".join(w[0].upper() + w[1:] for w in words)


def byline(rng: random.Random) -> str:
    return f"By {proper_name(rng)} {proper_name(rng)}"


def edited(rng: random.Random, paras: Sequence[str], share: float) -> list[str]:
    """A copy with ``share`` of its words replaced (a lightly edited re-post)."""
    out = []
    for para in paras:
        words = para.split(" ")
        for i in range(len(words)):
            if rng.random() < share:
                words[i] = rng.choice(NOUNS if rng.random() < 0.5 else _ADJECTIVES)
        out.append(" ".join(words))
    return out


def truncated(paras: Sequence[str], share: float) -> list[str]:
    """The first ``share`` of the paragraphs (at least one)."""
    return list(paras[: max(1, round(len(paras) * share))])


def html_page(title: str, paras: Sequence[str], *, url: str, published: datetime, by: str) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title} | Bench Herald</title>"
        f'<meta property="og:title" content="{title}">'
        '<meta property="og:site_name" content="Bench Herald">'
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        f'<link rel="canonical" href="{url}"></head>\n<body>'
        '<header><nav><a href="/">Home</a> <a href="/world">World</a> '
        '<a href="/sport">Sport</a></nav></header>\n'
        f'<main><article><h1>{title}</h1><p class="byline">{by}</p>\n{body}\n</article></main>'
        "<footer><p>Copyright Bench Herald. All rights reserved.</p></footer></body></html>\n"
    )
