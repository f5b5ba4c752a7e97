"""The one charset decoder (newsflow.decode): archived documents and fetched bodies."""

from __future__ import annotations

import codecs
import gzip
import io
import zipfile
from pathlib import Path

import pytest

from newsflow.decode import (
    BinaryContentError,
    EmptyDocumentError,
    decode_bytes,
    decode_text,
    sniff_meta_charset,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

RUSSIAN = (
    "Вооружённые формирования сирийской оппозиции подошли к окраинам Хомса, третьего по "
    "величине города страны. Об этом в субботу сообщила Сирийская обсерватория по правам "
    "человека."
)


# --------------------------------------------------------------------------- decode_bytes


def test_decode_plain_utf8_has_no_repairs() -> None:
    text, repairs = decode_bytes("Café – “quoted” text".encode())
    assert text == "Café – “quoted” text"
    assert repairs == []


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_decode_bom_wins_and_is_stripped(bom: bytes, codec: str) -> None:
    body = bom + "Ünïcode headline\nsecond line".encode(codec)
    text, repairs = decode_bytes(body, declared_charset="iso-8859-1")
    assert text == "Ünïcode headline\nsecond line"
    assert repairs == []


def test_decode_declared_charset_is_used() -> None:
    body = RUSSIAN.encode("cp1251")
    text, repairs = decode_bytes(body, declared_charset="windows-1251")
    assert text == RUSSIAN
    assert repairs == []


def test_decode_declared_latin1_on_utf8_body_is_overridden() -> None:
    body = "Déjà vu in Zürich".encode()
    text, repairs = decode_bytes(body, declared_charset="ISO-8859-1")
    assert text == "Déjà vu in Zürich"
    assert any(r.startswith("declared-charset-overridden") for r in repairs)


def test_decode_unknown_declared_charset_falls_back_to_utf8() -> None:
    text, repairs = decode_bytes("naïve".encode(), declared_charset="x-klingon")
    assert text == "naïve"
    assert repairs == ["declared-charset-unknown: x-klingon"]


def test_sniff_meta_charset_forms() -> None:
    assert sniff_meta_charset(b'<html><head><meta charset="windows-1251">') == "windows-1251"
    assert (
        sniff_meta_charset(
            b'<meta http-equiv="Content-Type" content="text/html; charset=KOI8-R" />'
        )
        == "koi8-r"
    )
    assert sniff_meta_charset(b"<meta charset='utf-16'>") == "utf-8"
    assert sniff_meta_charset(b'<meta charset="no-such-charset">') is None
    assert sniff_meta_charset(b"<p>charset=utf-8 in text, not in a meta</p>") is None


def test_decode_uses_meta_charset() -> None:
    html = f'<html><head><meta charset="koi8-r"></head><body><p>{RUSSIAN}</p></body></html>'
    text, repairs = decode_bytes(html.encode("koi8-r"))
    assert RUSSIAN in text
    assert repairs == []


def test_decode_windows_1251_page_without_any_declaration() -> None:
    body = (FIXTURES / "html" / "vecher_cp1251_no_charset.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert sniff_meta_charset(body) is None
    text, repairs = decode_bytes(body)
    assert "Сирийские повстанцы подошли к Хомсу" in text
    assert "Вооружённые формирования сирийской оппозиции" in text
    assert "\ufffd" not in text
    assert any(r.startswith("charset-detected") for r in repairs)


def test_decode_latin_text_without_declaration_prefers_cp1252() -> None:
    french = (
        "Le café de la gare a rouvert ses portes lundi après des mois de travaux. Les "
        "habitués étaient ravis de retrouver leur comptoir préféré, déjà bondé à midi."
    )
    text, repairs = decode_bytes(french.encode("cp1252"))
    assert text == french
    assert repairs == ["charset-detected: cp1252"]


def test_decode_declared_legacy_charset_on_utf8_body_is_overridden() -> None:
    text, repairs = decode_bytes(RUSSIAN.encode(), declared_charset="windows-1251")
    assert text == RUSSIAN
    assert repairs == ["declared-charset-overridden: windows-1251 -> utf-8"]


def test_decode_declared_charset_that_does_not_decode() -> None:
    body = "Zürich „Zitat“".encode("cp1252")
    text, repairs = decode_bytes(body, declared_charset="ascii")
    # 'ascii' is windows-1252 on the web (WHATWG), which decodes these bytes
    assert text == "Zürich „Zitat“"
    assert repairs == []
    text, repairs = decode_bytes(RUSSIAN.encode("cp1251"), declared_charset="shift_jis")
    assert text == RUSSIAN
    assert repairs[0] == "declared-charset-mismatch: shift_jis"


def test_decode_invalid_utf8_is_repaired_and_recorded() -> None:
    good = "Rebels reached Homs on Saturday — “the final stage”, officials said. " * 5
    body = good.encode() + b"\xff\xfe\xfd" + b" The advance continued on Sunday."
    text, repairs = decode_bytes(body)
    assert repairs == ["invalid-utf8: 3 bytes replaced"]
    assert "\ufffd" in text
    assert text.startswith("Rebels reached Homs on Saturday — “the final stage”")
    assert text.endswith("The advance continued on Sunday.")


def test_decode_mostly_utf8_with_truncated_sequence() -> None:
    # a multi-byte character cut in half in the middle of otherwise fine UTF-8
    body = "Assad’s regime — ".encode() * 10 + "€".encode()[:2] + b" end"
    text, repairs = decode_bytes(body)
    assert repairs == ["invalid-utf8: 2 bytes replaced"]
    assert text.count("Assad’s") == 10


@pytest.mark.parametrize("body", [b"", b"   \n\t  \r\n", codecs.BOM_UTF8 + b"  \n"])
def test_decode_empty_raises(body: bytes) -> None:
    with pytest.raises(EmptyDocumentError, match="empty"):
        decode_bytes(body)


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 40, "PNG"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (gzip.compress(b"<html>hello</html>", mtime=0), "gzip"),
        (_zip_bytes(), "ZIP"),
        (b"<html><body>text with a NUL \x00 byte</body></html>", "NUL"),  # 2% of it
        ("UTF-16 that holds NUL characters\x00\x00\x00\x00".encode("utf-16-le"), "NUL"),
        (bytes(range(1, 9)) * 50 + b"some text", "control characters"),
    ],
)
def test_decode_binary_raises(body: bytes, expected: str) -> None:
    with pytest.raises(BinaryContentError, match=expected):
        decode_bytes(body)


@pytest.mark.parametrize(
    "text", ["RIFF RAFF back on tour", "ID3 tags explained", "BZh is not bzip2", "GIF8 is not"]
)
def test_decode_text_resembling_magic_numbers(text: str) -> None:
    assert decode_bytes(text.encode()) == (text, [])


def test_errors_are_value_errors() -> None:
    assert issubclass(BinaryContentError, ValueError)
    assert issubclass(EmptyDocumentError, ValueError)


def test_decode_order_for_fetched_bodies() -> None:
    """What the fetcher's own decoder did before it became this one (robots.txt, feeds)."""
    text = "Привет, мир! " * 30
    assert decode_text(text.encode("cp1251"), "windows-1251") == text
    assert decode_text("\ufeffhé".encode()) == "hé"
    meta = b'<html><head><meta charset="koi8-r"></head><body>' + text.encode("koi8-r")
    assert text in decode_text(meta)
    assert sniff_meta_charset(meta) == "koi8-r"
    xml = b'<?xml version="1.0" encoding="ISO-8859-1"?><rss>caf\xe9</rss>'
    assert "café" in decode_text(xml)
    assert sniff_meta_charset(xml) == "iso-8859-1"
    assert decode_bytes("naïve".encode()) == ("naïve", [])
    news = (
        "Городской совет утвердил бюджет на следующий год. Депутаты обсуждали расходы "
        "на транспорт, школы и больницы почти шесть часов, а жители следили за заседанием."
    )
    assert news in decode_text(("<p>" + news + "</p>").encode("cp1251"))
    assert decode_text(b"x", "no-such-charset") == "x"
    assert decode_text(b"") == "" and decode_text(b"\x89PNG\r\n\x1a\n....") == ""


_PARAGRAPHS = (
    "Die Brücke über den Fluss wird ab Montag für drei Monate gesperrt, teilte die Stadt mit. "
    "Die Umleitung führt über die Südbrücke.\n\n"
) * 6


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_a_byte_order_mark_are_read(codec: str) -> None:
    text = "Brücke wird saniert\n\n" + _PARAGRAPHS
    assert decode_bytes(text.encode(codec)) == (text, [f"bom-missing: decoded as {codec}"])


def test_a_stray_nul_byte_is_removed_not_the_article() -> None:
    body = ("Brücke wird saniert\n\n" + _PARAGRAPHS).encode()
    assert decode_bytes(body[:90] + b"\x00" + body[90:]) == (body.decode(), ["nul-removed: 1"])


@pytest.mark.parametrize("header", [None, "iso-8859-1"])
def test_a_latin1_label_on_utf8_with_a_stray_byte_is_overridden(header: str | None) -> None:
    """A page that moved to UTF-8 and kept its old label: one invalid byte made the strict
    UTF-8 read fail and every "ü" became "Ã¼" through the label."""
    body = (
        b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
        + f"<title>Brücke wird saniert</title></head><body><p>{_PARAGRAPHS}</p>".encode()
        + b"<p>Foto \xa9 Stadt</p></body></html>"
    )
    text, repairs = decode_bytes(body, header)
    assert "Brücke" in text and "Ã" not in text
    label = header or "meta iso-8859-1"
    assert repairs == [
        f"declared-charset-overridden: {label} -> utf-8",
        "invalid-utf8: 1 bytes replaced",
    ]
    legacy = body.replace(b"\xa9", b"").decode().encode("cp1252")  # really Latin-1: the label holds
    assert decode_bytes(legacy, header) == (legacy.decode("cp1252"), [])


@pytest.mark.parametrize(
    ("text", "codec", "label"),
    [
        ("<p>“PELÉ” dies at 82. Brazil’s greatest – café owners mourned… The £5 tribute.</p>",
         "cp1252", "windows-1252"),
        ("<p>CZĘŚĆ 1: Sejm przyjął ustawę o podatkach</p>", "iso-8859-2", "iso-8859-2"),
        ("<p>RŮŽE Úžasné vítězství</p>", "cp1250", "windows-1250"),
    ],
)  # fmt: skip
def test_a_legacy_page_with_a_chance_utf8_pair_keeps_its_label(
    text: str, codec: str, label: str
) -> None:
    """ "É”" in cp1252 and "ĘŚ" in ISO-8859-2 are valid UTF-8 by chance, among many invalid
    bytes: not the evidence that overrides a label."""
    assert decode_bytes(text.encode(codec), label) == (text, [])


def test_nul_bytes_after_a_text_head_in_binary_data_are_binary() -> None:
    import random

    rng = random.Random(1)
    tail = bytes(rng.randrange(1, 256) for _ in range(4000))
    with pytest.raises(BinaryContentError, match="not UTF-8 text"):
        decode_bytes(b"x" * 9700 + tail + b"\x00" * 10)
