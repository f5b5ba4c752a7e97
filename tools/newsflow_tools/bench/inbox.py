"""The bench's inbox: generated files as they arrive in ``NEWSFLOW_INBOX`` (``.txt`` mostly,
some ``.html``, one ``.jsonl``), with near-duplicate and exact re-posts among them."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsflow_tools.bench.config import Config
from newsflow_tools.bench.text import byline, edited, headline, html_page, paragraphs, truncated


@dataclass
class InboxStats:
    files: int = 0
    txt: int = 0
    html: int = 0
    jsonl_lines: int = 0
    near_dups: int = 0
    exact_dups: int = 0

    @property
    def articles(self) -> int:
        return self.txt + self.html + self.jsonl_lines


def write_inbox(inbox: Path, cfg: Config, seed: int) -> InboxStats:
    """Generate the benchmark inbox: distinct articles plus near-duplicate and exact re-posts."""
    rng = random.Random(seed)
    inbox.mkdir(parents=True, exist_ok=True)
    st = InboxStats()
    singles = cfg.files - 1
    n_html = max(1, round(singles * cfg.html_share))
    n_near = max(1, round(singles * cfg.near_dup_share))
    n_exact = max(1, round(singles * cfg.exact_dup_share))
    n_txt = singles - n_html - n_near - n_exact
    originals: list[tuple[str, list[str]]] = []  # (file text, paragraphs)
    now = datetime.now(UTC)
    for i in range(n_txt):
        paras = paragraphs(rng, rng.randint(300, 800))
        text = "\n".join([headline(rng), "", byline(rng), "", "\n\n".join(paras), ""])
        originals.append((text, paras))
        (inbox / f"article-{i:05d}.txt").write_text(text, encoding="utf-8")
    for i in range(n_html):
        title, paras = headline(rng), paragraphs(rng, rng.randint(300, 800))
        page = html_page(
            title,
            paras,
            url=f"https://herald.bench.example/{seed}/story-{i}",
            published=now - timedelta(hours=rng.randint(1, 72)),
            by=byline(rng),
        )
        (inbox / f"page-{i:05d}.html").write_text(page, encoding="utf-8")
    picked = rng.sample(originals, min(len(originals), n_near + n_exact))
    for i, (_, paras) in enumerate(picked[:n_near]):
        copy = edited(rng, paras, 0.05) if i % 2 == 0 else truncated(paras, 0.6)
        text = "\n".join([headline(rng), "", "\n\n".join(copy), ""])
        (inbox / f"repost-{i:05d}.txt").write_text(text, encoding="utf-8")
    for i, (text, _) in enumerate(picked[n_near:]):
        # the same article saved with Windows line ends: other bytes, the same normalised text
        (inbox / f"copy-{i:05d}.txt").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    with (inbox / "wire.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(cfg.jsonl_lines):
            record = {
                "url": f"https://wire.bench.example/{seed}/{i}",
                "title": headline(rng),
                "text": "\n\n".join(paragraphs(rng, rng.randint(300, 800))),
                "published_at": (now - timedelta(minutes=rng.randint(5, 4000))).isoformat(),
                "source": "Bench Wire",
            }
            fh.write(json.dumps(record) + "\n")
    st.files = n_txt + n_html + n_near + n_exact + 1
    st.txt, st.html, st.jsonl_lines = n_txt + n_near + n_exact, n_html, cfg.jsonl_lines
    st.near_dups, st.exact_dups = n_near, n_exact
    return st
