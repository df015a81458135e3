"""Extraction on corpus/ scored against the hand-labeled gold; fails below the floor."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_corpus_against_gold(nlp):
    floor = json.loads((HERE / "floor.json").read_text(encoding="utf-8"))
    result = extract_corpus(ROOT / "corpus", nlp=nlp)
    report = evaluate(read_gold(HERE / "gold.csv"), result.table)
    print(format_report(report))
    assert report.levels["claim"].f1 >= floor["claim_f1"], format_report(report)
    assert report.qualifier_accuracy >= floor["qualifier_accuracy"]
    assert report.period_start_accuracy >= floor["period_start_accuracy"]
