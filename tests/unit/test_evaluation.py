"""Evaluation helpers and a small smoke run of the evaluation."""

from __future__ import annotations

import pytest
from newsflow_tools.evaluation import data, events_eval, extraction_eval, neardup_eval
from newsflow_tools.evaluation.__main__ import main

needs_ecb = pytest.mark.skipif(not data.ecbplus_available(), reason=data.skip_reason("ecbplus"))


def test_bcubed_and_pairwise_known_values():
    gold = ["a", "a", "b", "b"]
    assert events_eval.bcubed([1, 1, 2, 2], gold) == (1.0, 1.0, 1.0)
    p, r, f = events_eval.bcubed([1, 1, 1, 1], gold)
    assert p == 0.5 and r == 1.0 and abs(f - 2 / 3) < 1e-9
    p, r, _ = events_eval.bcubed([1, 2, 3, 4], gold)
    assert p == 1.0 and r == 0.5
    assert events_eval.pairwise([1, 1, 1, 1], gold)[:2] == (2 / 6, 1.0)


def test_missing_data_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("NEWSFLOW_EVAL_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(data.EvalDataMissing, match="NEWSFLOW_EVAL_DATA"):
        data.ecbplus_dir()
    assert main(["--quick"]) == 2
    assert "not found" in capsys.readouterr().err


@needs_ecb
def test_event_eval_smoke_on_two_topics():
    docs = data.load_split("dev", {2, 5})
    assert len({d.subtopic for d in docs}) == 4
    scores = events_eval.evaluate(docs, seeds=(1,))
    assert len(scores) == 2
    for s in scores:
        assert s.b3_f >= 0.6 and s.n_gold == 4


@needs_ecb
def test_neardup_eval_smoke_on_one_topic():
    report = neardup_eval.run(topics={1}, with_dev=False)
    tp, fp, fn = report.totals()
    assert tp > 0 and fp == 0
    assert tp / (tp + fn) >= 0.9
    assert report.corpus_counts["fp"] == 0


@needs_ecb
def test_main_runs_on_a_topic(capsys):
    assert (
        main(
            ["--quick", "--topics", "2", "--skip-neardup", "--skip-extraction", "--skip-validation"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "B-cubed F1" in out


def test_extraction_score_follows_the_corpus_protocol():
    page = extraction_eval.Page(
        "p.html.gz",
        None,
        "",
        with_=("The first  sentence.", "A missing one."),
        without=("Cookie banner", "Footer text"),
    )
    counts = extraction_eval.score("Intro\nThe first\nsentence. Cookie banner", page)
    assert (counts.tp, counts.fn, counts.fp, counts.tn) == (1, 1, 1, 1)
    assert counts.precision == 0.5 and counts.recall == 0.5 and counts.accuracy == 0.5


def test_extraction_section_skips_with_one_clear_message(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("NEWSFLOW_EVAL_DATA", str(tmp_path / "nowhere"))
    assert main(["--only", "extraction"]) == 2
    assert data.skip_reason("extraction") in capsys.readouterr().out


@pytest.mark.skipif(not extraction_eval.available(), reason=data.skip_reason("extraction"))
def test_extraction_eval_smoke(capsys):
    assert main(["--only", "extraction", "--limit", "8"]) == 0
    out = capsys.readouterr().out
    assert "newsflow (as stored)" in out and "trafilatura default" in out


def test_validation_section_on_the_sample_inbox(capsys):
    assert main(["--only", "validation"]) == 0
    out = capsys.readouterr().out
    assert "documents rejected per expectation" in out
    # the sample's only broken article; nothing rejected for a field
    assert "quarantined too-short.txt: The text length is 58 characters" in out
    assert "inbox-folder" in out
