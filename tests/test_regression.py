"""Extraction on corpus/ scored against the hand-labeled gold; fails below the floor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.evaluate import evaluate, format_report, read_gold
from pipeline.extract import extract_corpus

HERE = Path(__file__).parent / "regression"
ROOT = Path(__file__).resolve().parent.parent


def test_gold_is_well_formed():
    gold = read_gold(HERE / "gold.csv")
    assert len(gold) >= 45
    assert not gold.duplicated(subset=["article_id", "metric", "value", "unit", "date"]).any()
    corpus_ids = {p.stem for p in (ROOT / "corpus").glob("*.txt")}
    assert set(gold["article_id"]) <= corpus_ids


SETS = {
    "seeds": (ROOT / "corpus", HERE),
    "synthetic": (HERE / "synthetic", HERE / "synthetic"),
}


@pytest.mark.parametrize("name", sorted(SETS))
def test_against_gold(nlp, name):
    corpus, labels = SETS[name]
    floor = json.loads((labels / "floor.json").read_text(encoding="utf-8"))
    result = extract_corpus(corpus, nlp=nlp)
    assert not result.failures
    report = evaluate(read_gold(labels / "gold.csv"), result.table)
    print(format_report(report))
    assert report.levels["claim"].f1 >= floor["claim_f1"], format_report(report)
    assert report.qualifier_accuracy >= floor["qualifier_accuracy"]
    assert report.period_start_accuracy >= floor["period_start_accuracy"]


def test_synthetic_gold_is_well_formed():
    gold = read_gold(HERE / "synthetic" / "gold.csv")
    ids = {p.stem for p in (HERE / "synthetic").glob("*.txt")}
    assert len(ids) == 10 and set(gold["article_id"]) == ids
    per_article = gold.groupby("article_id").size()
    assert per_article.between(5, 20).all()


DEVSET = ROOT.parent / "shared" / "devset"


@pytest.mark.skipif(not (DEVSET / "gold.csv").exists(), reason="../shared/devset is not here")
def test_development_set_floor(nlp):
    """Articles written and labeled by others: the figure that matters most (issue 14)."""
    floor = json.loads((HERE / "devset_floor.json").read_text(encoding="utf-8"))
    result = extract_corpus(DEVSET / "corpus", nlp=nlp)
    assert not result.failures
    report = evaluate(read_gold(DEVSET / "gold.csv"), result.table)
    print(format_report(report))
    for level in ("claim", "metric", "figure"):
        assert report.levels[level].f1 >= floor[f"{level}_f1"], f"{level} F1 {report.levels[level].f1:.3f} below {floor[f'{level}_f1']}"
    assert report.qualifier_accuracy >= floor["qualifier_accuracy"]
    assert report.period_start_accuracy >= floor["period_start_accuracy"]
