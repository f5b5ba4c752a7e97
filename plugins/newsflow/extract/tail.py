"""What an extractor keeps after the article: recirculation blocks, newsletter and social
footers, credits, disclaimers, teaser lists. Removed from HTML-extracted text.

Why separate rules for the end: block extractors stop at the article's container, and what
shares that container after the last paragraph is rarely the article ("Read more: ...",
"Weitere Beiträge", a "Tags" line and its keywords, "Follow her on Twitter", an image credit,
teasers of other posts ending in "…"). The rules look at short lines only and mostly at the
last few paragraphs, so they cost little; a long paragraph is never removed by them.

Every removal is recorded in ``repairs`` (``tail:<rule>:<first characters>``).
"""

from __future__ import annotations

import re

from newsflow.extract.patterns import READER_RE, reported_prose

# Paragraphs from the end that the trailing-line rules look at.
_TAIL_WINDOW = 12
# A recirculation header cuts the rest of the text only in the last part of it.
_CUT_FROM_SHARE = 0.5
_SHORT = 250
# What follows a recirculation header is titles and teasers, not paragraphs of this length.
_TEASER_CHARS = 300

_RECIRCULATION = (
    # en
    r"related( articles?| stories| posts| content| coverage| news| topics| reading| links)?"
    r"|read (more|also|next)|see also|also read|more (stories|news|articles|on this|from|about)\b.{0,50}"
    r"|recommended( for you| reading| stories)?|you (may|might) (also )?(like|enjoy|be interested in)"
    r"|most (read|popular|viewed|shared)|trending( now| stories)?|further reading|top stories"
    r"|(latest|recent|popular) (posts|stories|news|articles)|editor'?s picks|more in .{1,40}"
    r"|(up )?next\s*:.{0,60}|previous\s*:.{0,60}|nächster artikel\b.{0,60}|siguiente\s*:.{0,60}"
    # de
    r"|lesen sie (auch|mehr|weiter)\b.{0,60}|auch (lesen|interessant)|zum weiterlesen|schon gelesen\??"
    r"|(das|dieses) (thema )?könnte (sie|dich|euch) auch interessieren|mehr zum thema\b.{0,60}"
    r"|mehr (themen|artikel|beiträge|news)\b.{0,40}|top-themen\b.{0,40}|weitere (beiträge|artikel|themen"
    r"|nachrichten|meldungen|tipps|tourentipps|news)\b.{0,60}"
    r"|(empfohlene|ähnliche|verwandte|passende) (beiträge|artikel|themen)|beiträge aus dem forum"
    r"|vorschau auf den nächsten artikel|teilnehmende blogs|über diese reihe|quellenangaben?"
    r"|das könnte (sie|dich) auch interessieren|lesen sie hier|weitere infos?(rmationen)?"
    r"|zusatzinformationen|kontakt|pressekontakt|ansprechpartner(in)?( zum thema)?"
    r"|originalpublikation|weiterführende links?|auch auf .{1,40}|more information|contact"
    # es / pt
    r"|(lea|lee|vea|ver|mire|leia|veja) (también|tambien|además|más|mais|também)"
    r"|(le|te) puede interesar|(notas|noticias|artículos|contenidos?|matérias|notícias) relacionad[oa]s?"
    r"|más (noticias|sobre .{1,40})|temas relacionados"
    # fr / it / nl / pl
    r"|(à )?lire (aussi|également)|sur le même (sujet|thème)|à voir aussi|voir aussi"
    r"|articles? (similaires|liés)|leggi anche|articoli correlati|potrebbe interessarti"
    r"|lees (ook|meer)|gerelateerde artikelen|czytaj (też|także|również|więcej)"
    r"|zobacz (też|także|również)|(podobne|powiązane) (artykuły|wpisy)"
)
_HEADER_RE = re.compile(rf"(?:{_RECIRCULATION})\s*[:：?!.]?", re.IGNORECASE)
# "Read more: <another article's title>" inside the text: one recirculation link.
_INLINE_LINK_RE = re.compile(
    rf"(?:{_RECIRCULATION}|mire|mira|ver|lea|puedes ver|lesetipp|siehe auch|learn more|mehr dazu"
    r"|mehr erfahren|dowiedz się więcej|en savoir plus)\s*[:：»]\s*\S.*"
    r"|>>.*<<",
    re.IGNORECASE,
)
_TAGS_RE = re.compile(
    r"(tags?|schlagw(ö|o)rte?|stichw(ö|o)rter|themen|temas|topics?|kategorien?|categor(y|ies|ías?)"
    r"|filed under|etiquetas|mots-clés|tagi|keywords)\s*[:：]?.{0,200}",
    re.IGNORECASE,
)
_NEWSLETTER_WORDS = (
    r"(newsletter|subscribe|subscription|subscriber|sign up|abonnier|abonnement|abo\b"
    r"|suscr[ií]b|inscrivez|posteingang|eingeloggt|logged in|log in|login|registrier"
    r"|follow (us|him|her|them|me|the \w+)|folgen sie|folge uns|síguenos|suivez-nous"
    r"|on (twitter|facebook|instagram|linkedin|telegram|whatsapp|youtube)"
    r"|(canal|channel) de (youtube|telegram)|telegram|download (the|our) app|apps? for ios"
    r"|have a tip|got a tip|send us (a|your)|support (our|us)\b|unterstütze|enjoyed reading"
    r"|we want to hear|submit a letter|write to us|schreiben sie uns"
    r"|klicken sie|click (here|the button)|button)"
)
# ... opening the line: a call to the reader ("Follow her on Twitter", "Subscribe now")
_NEWSLETTER_OPENING_RE = re.compile(_NEWSLETTER_WORDS, re.IGNORECASE)
_TRAILING_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "copyright",
        re.compile(
            r"(©|\(c\)|copyright\b).*|.*\b(all rights reserved|alle rechte vorbehalten"
            r"|todos los derechos reservados|tous droits réservés|chroniony prawem autorskim"
            r"|zasady przedruków|reprint in online or print media).*",
            re.IGNORECASE,
        ),
    ),
    (
        "credit",
        re.compile(
            r"(titelbild|beitragsbild|aufmacherbild|headerbild|vorschaubild|foto|fotos|bild|bilder"
            r"|bildquelle|photo|photos|image|images|picture|credits?|crédits? photos?"
            r"|image illustrative|illustration|header image|featured image|cover image|fuente"
            r"|quelle|source)\s*(\([^)]*\))?\s*[:：].{0,200}",
            re.IGNORECASE,
        ),
    ),
    ("newsletter", re.compile(rf".*\b{_NEWSLETTER_WORDS}.{{0,120}}", re.IGNORECASE)),
    (
        "comments",
        re.compile(r".{0,40}\b(kommentare?|comments?|comentarios?|commentaires?)\b.{0,60}", re.I),
    ),
    (
        "disclaimer",
        re.compile(
            r".*\b(affiliate|(eine|kleine|erhalten|bekommen) .{0,20}provision|partnerlinks?"
            r"|werbelinks?|we may earn|(earn|receive|get)s? (a )?(small )?commission"
            r"|bonus value|sponsored|anzeige\b|werbung\b|our standards|trust principles"
            r"|editorial independence|ohne gewähr|sin garantía|sans garantie).*",
            re.IGNORECASE,
        ),
    ),
    (
        "contact",
        re.compile(
            r"(kontakt|contact|pressekontakt|ansprechpartner(in)?|pressesprecher\*?(in)?|telefon"
            r"|tel\.|phone|e-?mail|fax|web)\b.{0,120}",
            re.IGNORECASE,
        ),
    ),
    (
        "dateline",
        re.compile(
            r"(last (updated|modified)|letzte änderung|aktualisiert( am)?|stand|updated|zuletzt"
            r"|published|veröffentlicht|release date|news date)\b.{0,80}",
            re.IGNORECASE,
        ),
    ),
)
_ELLIPSIS_RE = re.compile(r"(…|\.\.\.|\[…\]|\[\.\.\.\])\s*[\]»”\"]?$")
_PIPE_LIST_RE = re.compile(r"[^|]{2,120}(\s\|\s[^|]{2,120}){2,}")


def _note(repairs: list[str], rule: str, paragraph: str) -> None:
    entry = f"tail:{rule}:{paragraph[:60]}"
    if entry not in repairs:
        repairs.append(entry)


def _is_header(paragraph: str) -> bool:
    return len(paragraph) <= 90 and _HEADER_RE.fullmatch(paragraph.strip()) is not None


def _cut_recirculation(paragraphs: list[str], repairs: list[str]) -> list[str]:
    """Cut at a recirculation header ("Related articles", "Weitere Beiträge") standing in the
    last part of the text, with everything after it."""
    start = max(1, int(len(paragraphs) * _CUT_FROM_SHARE))
    for index in range(start, len(paragraphs)):
        if _is_header(paragraphs[index]) and all(
            len(p) <= _TEASER_CHARS for p in paragraphs[index + 1 :]
        ):
            for dropped in paragraphs[index:]:
                _note(repairs, "recirculation", dropped)
            return paragraphs[:index]
    return paragraphs


# Calls to action that interrupt an article anywhere: paywall and subscription prompts,
# reading-time badges. Only short lines, so an article *about* subscriptions keeps its text.
_INTERRUPTION_RE = re.compile(
    r".*?\b(to (view|read) the full (story|article)|for the full story|already a subscriber"
    r"|subscribe (now|today|to)|sign up(?=\s*[.!]?$)|sign up (now|today|here|free"
    r"|for (a|an|our|the) (free )?(newsletter|account|trial|briefing)|to (our|get|receive))"
    r"|subskrypcj\w*|jetzt (anmelden|registrieren)|abonnieren"
    r"|registrieren sie sich|melden sie sich (jetzt )?an"
    r"|zum newsletter|\w*newsletter\w*|hazte (miembro|socio)|suscr[ií]bete|abonnez-vous"
    r"|pour (lire la suite|accéder|continuer)|cancela cuando quieras|e-paper|im abo"
    r"|(minute|min\.?|minuten|minutos|minut[ey]?) (read|lesezeit|de lectura|czytania)"
    r"|(lesezeit|lesedauer|reading time|tiempo de lectura)\s*:?\s*\d|przeczytasz w"
    r"|unterstütze|support (us|our work)|donate now|jetzt spenden|eingeloggt|logged in|log in to"
    r"|in den kommentaren|in the comments|hier klicken|click here"
    r"|video (verfügbar|available) (bis|until)|teilen sie (dies|diesen)|share this"
    r"|(weitere )?infos? unter (www\.|https?://)\S+)\b.*",
    re.IGNORECASE,
)
# A date (and maybe a time or a name) alone on a line: a post's metadata, not its text.
_DATE_LINE_RE = re.compile(
    r"[|\s]*(\d{1,2}\.\s*\w+\.?\s+\d{4}|\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\w+ \d{1,2},? \d{4})"
    r"(,?\s*\d{1,2}:\d{2}(\s*(am|pm|uhr))?)?[|\s]*(\|\s*[\w ]{1,25})?[|\s]*",
    re.IGNORECASE,
)
_INTERRUPTION_CHARS = 180
_TOC_RE = re.compile(
    r"(inhaltsverzeichnis|inhalt|table of contents|contents|índice|sommaire|spis treści)\s*:?",
    re.IGNORECASE,
)
# An image caption left in the text: a short line that ends in its credit.
_CAPTION_RE = re.compile(
    r".{0,250}(©|\(c\)|\b(foto|fotos|bild|photo|photos|image|credit|quelle|source|fuente|crédit)s?\s*:"
    r"|\bfot\.)\s*[^.!?]{1,60}\)?\.?",
    re.IGNORECASE,
)


def _drop_inline_links(paragraphs: list[str], repairs: list[str]) -> list[str]:
    kept: list[str] = []
    for number, para in enumerate(paragraphs):
        if number and len(para) <= _SHORT and _INLINE_LINK_RE.fullmatch(para.strip()):
            _note(repairs, "link", para)
        elif (
            len(para) <= _INTERRUPTION_CHARS
            and _INTERRUPTION_RE.fullmatch(para.strip())
            and not reported_prose(para)
        ):
            _note(repairs, "call-to-action", para)
        elif number and len(para) <= 300 and _CAPTION_RE.fullmatch(para.strip()):
            _note(repairs, "caption", para)
        elif len(para) <= 45 and _DATE_LINE_RE.fullmatch(para):
            _note(repairs, "date-line", para)
        elif len(para) <= 40 and _TOC_RE.fullmatch(para.strip()):
            _note(repairs, "contents", para)
        elif number >= len(paragraphs) * _CUT_FROM_SHARE and _is_header(para):
            _note(repairs, "header", para)  # a recirculation header whose block stayed
        elif len(para) <= 400 and _PIPE_LIST_RE.fullmatch(para.strip()):
            _note(repairs, "link-list", para)
        else:
            kept.append(para)
    return kept


def _trailing_rule(paragraph: str) -> str | None:
    if len(paragraph) > 300:
        return None
    stripped = paragraph.strip()
    for name, pattern in _TRAILING_RULES:
        if not pattern.fullmatch(stripped) or reported_prose(stripped):
            continue
        # a call to the reader opens with its verb or speaks to them; a sentence about a
        # company's subscribers or a sign-up period does neither
        if (
            name == "newsletter"
            and not _NEWSLETTER_OPENING_RE.match(stripped)
            and not READER_RE.search(stripped)
        ):
            continue
        return name
    return None


def _cut_tags(paragraphs: list[str], repairs: list[str]) -> list[str]:
    """A "Tags"/"Themen" line near the end, followed only by short keyword lines."""
    first = max(1, len(paragraphs) - _TAIL_WINDOW)
    for index in range(len(paragraphs) - 1, first - 1, -1):
        para = paragraphs[index]
        if (
            len(para) <= 200
            and _TAGS_RE.fullmatch(para.strip())
            and all(len(p) <= 60 for p in paragraphs[index + 1 :])
        ):
            for dropped in paragraphs[index:]:
                _note(repairs, "tags", dropped)
            return paragraphs[:index]
    return paragraphs


def _strip_trailing(paragraphs: list[str], repairs: list[str]) -> list[str]:
    kept = list(paragraphs)
    removed = 0
    while len(kept) > 1 and removed < _TAIL_WINDOW:
        rule = _trailing_rule(kept[-1])
        if rule is None:
            break
        _note(repairs, rule, kept.pop())
        removed += 1
    return kept


def _strip_teasers(paragraphs: list[str], repairs: list[str]) -> list[str]:
    """At least two excerpts of other posts ending in "…" (each possibly under its title)."""
    end = len(paragraphs)
    teasers = 0
    index = end
    while index > 1:
        para = paragraphs[index - 1]
        if _ELLIPSIS_RE.search(para) and len(para) <= 600:
            teasers += 1
            index -= 1
        elif teasers and len(para) <= 120 and not para.rstrip().endswith((".", "!", "?", ":")):
            index -= 1  # the teaser's title
        else:
            break
    if teasers >= 2 and index < end:
        for dropped in paragraphs[index:]:
            _note(repairs, "teasers", dropped)
        return paragraphs[:index]
    return paragraphs


# Short lines before the article: advertising disclosures, a bare date, a category, a credit.
_HEAD_RE = re.compile(
    r"\*?(werbung|anzeige|advertisement|sponsored|publicidad)\b.{0,200}"
    r"|.{0,80}\b(affiliate|advertisers?|we may (receive|earn) (compensation|a commission))\b.{0,200}"
    r"|(kategorie|category|categoría|rubrik)\s*[:：].{0,60}"
    r"|\|?\s*\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\s*(\|.{0,40})?"
    r"|©.{0,120}",
    re.IGNORECASE,
)
_HEAD_WINDOW = 3


def _strip_head(paragraphs: list[str], repairs: list[str]) -> list[str]:
    kept = list(paragraphs)
    for _ in range(_HEAD_WINDOW):
        if len(kept) > 1 and len(kept[0]) <= 300 and _HEAD_RE.fullmatch(kept[0].strip()):
            _note(repairs, "head", kept.pop(0))
        else:
            break
    return kept


def trim_tail(paragraphs: list[str], repairs: list[str]) -> list[str]:
    """``paragraphs`` without the non-article lines around them: trailing blocks (see the
    module docstring) and, before the article, disclosures, a bare date or category line."""
    if len(paragraphs) < 2:
        return paragraphs
    result = _strip_head(paragraphs, repairs)
    result = _cut_recirculation(result, repairs)
    result = _drop_inline_links(result, repairs)
    previous = -1
    while len(result) != previous:
        previous = len(result)
        result = _cut_tags(result, repairs)
        result = _strip_trailing(result, repairs)
        result = _strip_teasers(result, repairs)
    return result or paragraphs


# "The author is ...", "Die Autorin ist ...": the note's subject and, within a few words, its
# verb ("El autor de los disparos huyó" is the gunman, not the writer).
_BIO_VERB = (
    r"(is|was|has|lives|lived|writes|wrote|works|worked|joined|teaches|covers|ist|war|lebt|lebte"
    r"|schreibt|schrieb|arbeitet|arbeitete|es|fue|vive|escribe|trabaja|trabajó|est|était|vit"
    r"|écrit|travaille)\b"
)
_AUTHOR_NOTE_RE = re.compile(
    r"about the author\b.{0,450}|(the author|die autorin|der autor|l'auteure?|el autor|la autora)"
    rf"(\s*\([^)]*\))?,?\s+(\w+\s+){{0,2}}{_BIO_VERB}.{{0,450}}",
    re.IGNORECASE,
)


def drop_author_note(paragraphs: list[str], byline: str | None, repairs: list[str]) -> list[str]:
    """A short note about the author closing the text ("Jane Doe is a reporter at ...",
    "Die Autorin ist ..."): the page's byline or "the author", then what they are or do. A
    reported statement ("Reuters could not verify", "the author of the report said") stays."""
    if len(paragraphs) < 2:
        return paragraphs
    last = paragraphs[-1].strip()
    if len(last) > 500:
        return paragraphs
    names = [n.strip() for n in re.split(r"[;,&]| and | und ", byline or "") if len(n.strip()) > 4]
    bio = any(
        re.match(rf"{re.escape(name)}(,[^,]{{1,60}},)?\s+(\w+\s+)?{_BIO_VERB}", last, re.I)
        for name in names
    )
    if not reported_prose(last) and (_AUTHOR_NOTE_RE.fullmatch(last) or bio):
        _note(repairs, "author-note", last)
        return paragraphs[:-1]
    return paragraphs
