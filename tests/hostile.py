"""A generated hostile inbox: what strangers, broken tools and attackers drop into a folder.

``build(folder, seed, good=..)`` writes good documents (each with a known title, so the test
can check that every one landed) mixed with every kind of bad entry the fuzzing of the inbox
found: random bytes, truncated and deeply nested HTML, invalid UTF-8, UTF-16/32 without a BOM,
NUL bytes, broken JSONL (lone surrogates, deep nesting, non-objects, NUL escapes), odd and
non-UTF-8 file names, zero-byte files, symbolic links in and out of the inbox and to nowhere,
FIFOs, folders named like documents, and hidden files. It returns what it wrote, so a test
can hold every entry to account.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

from tests.integration.helpers import article_text


@dataclass
class Hostile:
    good_titles: set[str] = field(default_factory=set)  # every one must become an article
    entries: int = 0  # entries acquisition must account for (not hidden, not folders)
    hidden: int = 0  # names starting with '.', skipped on purpose and counted
    refused: int = 0  # entries that must be quarantined at acquire (links out, FIFOs, ...)
    outside: Path | None = None  # a file outside the inbox that must never be read


def _good(rng: random.Random, n: int) -> tuple[str, str]:
    title = f"Harbour Council Story Number {n} Approved"
    return title, f"{title}\n\n{article_text(rng.randrange(10**6))}\n"


def build(folder: Path, seed: int, good: int = 12) -> Hostile:
    rng = random.Random(seed)
    out = Hostile()
    folder.mkdir(parents=True, exist_ok=True)

    def write(name: str | bytes, data: bytes) -> None:
        path = os.path.join(os.fsencode(folder), os.fsencode(name))
        with open(path, "wb") as handle:
            handle.write(data)
        out.entries += 1

    for n in range(good):
        title, text = _good(rng, n)
        out.good_titles.add(title)
        if n % 3 == 0:
            write(f"good-{n}.txt", text.encode())
        elif n % 3 == 1:
            paras = "".join(f"<p>{p}</p>" for p in text.split("\n\n")[1].split(". "))
            html = (
                f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}'
                f"</title></head><body><article><h1>{title}</h1>{paras}</article></body></html>"
            )
            write(f"good-{n}.html", html.encode())
        else:
            record = {"title": title, "text": text.split("\n\n", 1)[1], "source": "Fuzz Wire"}
            bad_lines = [
                '{"title": "Budget \\ud800 cut", "text": "' + "words " * 60 + '"}',
                "[" * 100_000 + "]" * 100_000,
                '{"title": "nul \\u0000 title", "text": "' + "more words " * 40 + '"}',
                "42",
                '{"text": 7}',
                '{"title": "cut',
            ]
            lines = [json.dumps(record), *rng.sample(bad_lines, 3)]
            rng.shuffle(lines)
            write(f"good-{n}.jsonl", ("\n".join(lines) + "\n").encode())

    # bytes and encodings
    write("random.txt", rng.randbytes(3000))
    write("random.html", rng.randbytes(5000))
    write("empty.txt", b"")
    write("spaces.txt", b"   \n\n\t  ")
    write("nul-bytes.txt", b"text with \x00 NUL bytes \x00 inside " * 20)
    write("latin1-invalid-utf8.txt", ("Caf\xe9 cr\xe8me " * 80).encode("latin-1"))
    write(
        "utf16-no-bom.txt",
        ("A story in UTF-16 without a byte order mark. " * 30).encode("utf-16-le"),
    )
    write("utf32-no-bom.html", ("<p>UTF-32 page without BOM</p>" * 20).encode("utf-32-le"))
    write("truncated.html", b"<html><head><title>Cut</title></head><body><p>Started " * 3)
    write("deep.html", b"<div>" * 50_000 + b"deep" + b"</div>" * 10)
    write("bad-jsonl-only.jsonl", b'{"a": [1, 2\n\xff\xfe\n{"text": null}\n')
    write("not-a-type.pdf", b"%PDF-1.7 not really")
    write("no-extension", b"plain bytes without a suffix")

    # names
    title, text = _good(rng, 900)
    write(b"b-\xe9-latin1-name.txt", text.encode())  # not valid UTF-8 as a name
    out.good_titles.add(title)
    title, text = _good(rng, 901)
    write("name with spaces & [brackets] (1).txt", text.encode())
    out.good_titles.add(title)
    write("emoji-\U0001f4f0-name.txt", b"short")
    write("..dots..-017.html", b"<p>hidden by its leading dot</p>")  # hidden on purpose
    out.entries -= 1
    out.hidden += 1
    write(".partial-upload.txt.tmp", b"not finished")
    out.entries -= 1
    out.hidden += 1

    # links, FIFOs, folders
    outside = folder.parent / f"outside-secret-{seed}.txt"
    outside.write_text("SECRET " * 100)
    out.outside = outside
    os.symlink(outside, folder / "link-out.txt")
    os.symlink(folder / "good-0.txt", folder / "link-in.txt")  # inside: read (same bytes)
    os.symlink(folder / "nowhere.txt", folder / "dangling.txt")
    os.mkfifo(folder / "pipe.txt")
    (folder / "folder.txt").mkdir()
    (folder / "folder.txt" / "inside-folder.txt").write_bytes(text.encode()[::-1])
    out.entries += 6  # link-out, link-in, dangling, pipe, folder.txt, inside-folder.txt
    out.refused += 4  # link-out, dangling, pipe, folder.txt
    return out
