"""Locating and loading the evaluation data (ECB+ splits and the seed articles)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]  # plugins/newsflow/evaluation -> repo root
ENV_ECBPLUS = "NEWSFLOW_ECBPLUS_DIR"
ENV_SEEDS = "NEWSFLOW_SEEDS_DIR"


class EvalDataMissing(RuntimeError):
    """The evaluation data directory is absent or incomplete."""


@dataclass(frozen=True)
class Doc:
    doc_id: str
    topic: int
    subtopic: str  # the gold event
    title: str
    text: str


def ecbplus_dir() -> Path:
    raw = os.environ.get(ENV_ECBPLUS)
    path = Path(raw) if raw else (REPO_ROOT.parent / "shared" / "eval" / "ecbplus")
    if not (path / "ecbplus_dev.jsonl").is_file() or not (path / "ecbplus_train.jsonl").is_file():
        raise EvalDataMissing(
            f"ECB+ evaluation data not found in {path} (expected ecbplus_train.jsonl and "
            f"ecbplus_dev.jsonl). Put it at ../shared/eval/ecbplus relative to the repository "
            f"root or set {ENV_ECBPLUS}=/path/to/ecbplus."
        )
    return path


def ecbplus_available() -> bool:
    """Whether the ECB+ files are where :func:`ecbplus_dir` looks (tests skip without them)."""
    try:
        ecbplus_dir()
    except EvalDataMissing:
        return False
    return True


def seeds_dir() -> Path | None:
    raw = os.environ.get(ENV_SEEDS)
    path = Path(raw) if raw else (REPO_ROOT.parent / "shared" / "seeds")
    return path if path.is_dir() else None


def _sort_key(doc_id: str) -> tuple:
    # "12_3ecbplus" -> (12, 'ecbplus', 3): numeric topic, sub-corpus, document number
    topic, _, rest = doc_id.partition("_")
    digits = "".join(ch for ch in rest if ch.isdigit())
    suffix = rest[len(digits) :]
    return (int(topic) if topic.isdigit() else 0, suffix, int(digits or 0), doc_id)


def load_split(split: str, topics: set[int] | None = None) -> list[Doc]:
    """ECB+ documents of ``split`` ('train' or 'dev'), sorted by doc_id (numeric-aware)."""
    path = ecbplus_dir() / f"ecbplus_{split}.jsonl"
    docs = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            r = json.loads(line)
            if topics is not None and int(r["topic"]) not in topics:
                continue
            docs.append(Doc(r["doc_id"], int(r["topic"]), r["subtopic"], r["title"], r["text"]))
    docs.sort(key=lambda d: _sort_key(d.doc_id))
    return docs


def load_seeds() -> list[tuple[str, str]]:
    """(file name, text) of the seed articles, or [] when the directory is absent."""
    d = seeds_dir()
    if d is None:
        return []
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(d.glob("*.txt"))]
