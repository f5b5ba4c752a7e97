"""Locating and loading the evaluation data (ECB+ splits and the seed articles)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from newsflow.settings import PROJECT_ROOT, get_settings

# The five seed documents the project started from: its own reference input, kept with the
# test fixtures so that a fresh clone tests and evaluates them. The only definition of where.
SEEDS_DIR = PROJECT_ROOT / "tests" / "fixtures" / "seeds"
# Third-party data sets are found through one setting, never committed.
EVAL_DATA_SETTING = "NEWSFLOW_EVAL_DATA"
HOW_TO_GET = (
    f"set {EVAL_DATA_SETTING} to the folder holding ecbplus/ and extraction/ "
    "(default ../shared/eval beside the repository; see README.md, 'Evaluation data')"
)


class EvalDataMissing(RuntimeError):
    """The evaluation data directory is absent or incomplete."""


def eval_dir(name: str, required: tuple[str, ...]) -> Path:
    """``$NEWSFLOW_EVAL_DATA/<name>`` when it holds the ``required`` files, else a clear error."""
    path = get_settings().eval_data / name
    missing = [f for f in required if not (path / f).exists()]
    if missing:
        raise EvalDataMissing(
            f"evaluation data set {name!r} not found in {path} (missing {', '.join(missing)}): "
            + HOW_TO_GET
        )
    return path


def available(name: str, required: tuple[str, ...]) -> bool:
    try:
        eval_dir(name, required)
    except EvalDataMissing:
        return False
    return True


def skip_reason(name: str) -> str:
    return f"third-party data set {name!r} not found: {HOW_TO_GET}"


@dataclass(frozen=True)
class Doc:
    doc_id: str
    topic: int
    subtopic: str  # the gold event
    title: str
    text: str


ECBPLUS_FILES = ("ecbplus_train.jsonl", "ecbplus_dev.jsonl")


def ecbplus_dir() -> Path:
    return eval_dir("ecbplus", ECBPLUS_FILES)


def ecbplus_available() -> bool:
    """Whether the ECB+ files are where :func:`ecbplus_dir` looks (tests skip without them)."""
    return available("ecbplus", ECBPLUS_FILES)


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
    """(file name, text) of the seed articles."""
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(SEEDS_DIR.glob("*.txt"))]
