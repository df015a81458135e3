"""The contract's scoring rules, one small hand-made case each."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.evaluate import EvalError, collapse, date_matches, evaluate, read_gold, value_matches

COLS = ["article_id", "metric", "value", "unit", "qualifier", "date", "period_start", "surface"]


def frame(*rows) -> pd.DataFrame:
    recs = []
    for r in rows:
        base = {"article_id": "a", "metric": "mine_deaths", "value": 10.0, "unit": "count", "qualifier": "exact", "date": "2024-05-01", "period_start": "", "surface": "10"}
        base.update(r)
        recs.append(base)
    return pd.DataFrame(recs, columns=COLS)


def test_tolerance_edge():
    assert value_matches(1005, 1000)  # exactly 0.5 %
    assert value_matches(995, 1000)
    assert not value_matches(1005.01, 1000)
    assert not value_matches(994.9, 1000)
    r = evaluate(frame({"value": 1000}), frame({"value": 1005}))
    assert r.levels["claim"].tp == 1
    r = evaluate(frame({"value": 1000}), frame({"value": 1006}))
    assert r.levels["claim"].tp == 0 and r.levels["figure"].tp == 0


def test_date_precision_both_ways():
    assert date_matches("2024-11-30", "2024-11")
    assert date_matches("2024-11-30", "2024")
    assert date_matches("2024-11", "2024-11")
    assert not date_matches("2024", "2024-11-30")
    assert not date_matches("2024-11", "2024-11-30")
    assert not date_matches("2024-12-01", "2024-11")
    r = evaluate(frame({"date": "2024-11"}), frame({"date": "2024-11-30"}))
    assert r.levels["claim"].tp == 1
    r = evaluate(frame({"date": "2024-11-30"}), frame({"date": "2024"}))
    assert r.levels["claim"].tp == 0
    assert r.levels["metric"].tp == 1  # metric level ignores the date


def test_one_to_one_with_duplicates():
    gold = frame({"value": 100}, {"value": 100, "date": "2023"})
    pred = frame({"value": 100, "date": "2023"})
    r = evaluate(gold, pred)
    assert r.levels["claim"].tp == 1 and r.levels["claim"].fn == 1 and r.levels["claim"].fp == 0
    # two gold, one prediction at figure level: still only one match
    assert r.levels["figure"].tp == 1


def test_maximum_matching_not_greedy():
    # pred 1000 fits both gold 1000 and 1004; pred 1008 fits only 1004: a greedy first pick
    # of (1004 -> 1000) would leave 1000 unmatched
    gold = frame({"value": 1004}, {"value": 1000})
    pred = frame({"value": 1000}, {"value": 1008})
    assert evaluate(gold, pred).levels["claim"].tp == 2


def test_predicted_duplicates_collapse():
    pred = frame({"value": 57, "surface": "57"}, {"value": 57, "surface": "fifty-seven", "qualifier": "approx"})
    assert len(collapse(pred)) == 1
    r = evaluate(frame({"value": 57}), pred)
    assert r.levels["claim"].fp == 0 and r.levels["claim"].tp == 1
    assert r.qualifier_accuracy == 1.0  # the first row stays


def test_other_dropped():
    pred = frame({"metric": "other", "value": 2024}, {"value": 10})
    r = evaluate(frame({"value": 10}), pred)
    assert r.levels["claim"].fp == 0 and r.levels["figure"].fp == 0


def test_levels_differ():
    gold = frame({"metric": "mine_deaths", "value": 10})
    pred = frame({"metric": "mine_injuries", "value": 10})
    r = evaluate(gold, pred)
    assert r.levels["claim"].tp == 0 and r.levels["metric"].tp == 0 and r.levels["figure"].tp == 1
    assert r.missed[0]["why"].startswith("found as mine_injuries")


def test_units_must_match():
    r = evaluate(frame({"unit": "usd", "metric": "funding"}), frame({"unit": "eur", "metric": "funding"}))
    assert r.levels["figure"].tp == 0


def test_articles_must_match():
    r = evaluate(frame({"article_id": "a"}), frame({"article_id": "b"}))
    assert r.levels["figure"].tp == 0


def test_qualifier_and_period_start_accuracy():
    gold = frame({"value": 1, "qualifier": "approx", "period_start": "2020-11"}, {"value": 2, "period_start": ""})
    pred = frame({"value": 1, "qualifier": "exact", "period_start": "2020-11"}, {"value": 2, "period_start": "2020"})
    r = evaluate(gold, pred)
    assert r.qualifier_accuracy == 0.5
    assert r.period_start_accuracy == 0.5
    assert len(r.wrong_qualifier) == 1 and len(r.wrong_period_start) == 1


def test_prf_numbers_and_per_metric():
    gold = frame({"value": 1}, {"value": 2}, {"value": 3, "metric": "funding", "unit": "usd"})
    pred = frame({"value": 1}, {"value": 5}, {"value": 3, "metric": "funding", "unit": "usd"})
    r = evaluate(gold, pred)
    s = r.levels["claim"]
    assert (s.tp, s.fp, s.fn) == (2, 1, 1)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(2 / 3) and s.f1 == pytest.approx(2 / 3)
    assert r.per_metric["funding"].f1 == 1.0
    assert r.per_metric["mine_deaths"].tp == 1 and r.per_metric["mine_deaths"].fp == 1


def test_empty_inputs():
    empty = frame().iloc[0:0]
    r = evaluate(empty, empty)
    assert r.levels["claim"].f1 == 0.0 and r.qualifier_accuracy is None
    r = evaluate(frame({"value": 1}), empty)
    assert r.levels["claim"].fn == 1 and r.levels["claim"].recall == 0.0
    r = evaluate(empty, frame({"value": 1}))
    assert r.levels["claim"].fp == 1


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_gold_missing_column(tmp_path):
    p = write(tmp_path / "g.csv", "article_id,metric,value,unit,qualifier,date,surface\na,mine_deaths,1,count,exact,2024,1\n")
    with pytest.raises(EvalError) as exc:
        read_gold(p)
    assert str(p) in str(exc.value) and "period_start" in str(exc.value)


def test_gold_unparsable_value_names_row_and_column(tmp_path):
    p = write(
        tmp_path / "g.csv",
        "article_id,metric,value,unit,qualifier,date,period_start,surface\n"
        "a,mine_deaths,1,count,exact,2024,,1\n"
        "a,mine_deaths,twelve,count,exact,2024,,twelve\n",
    )
    with pytest.raises(EvalError) as exc:
        read_gold(p)
    msg = str(exc.value)
    assert str(p) in msg and "row 3" in msg and "'value'" in msg


def test_gold_bad_date(tmp_path):
    p = write(tmp_path / "g.csv", "article_id,metric,value,unit,qualifier,date,period_start,surface\na,mine_deaths,1,count,exact,May 2024,,1\n")
    with pytest.raises(EvalError) as exc:
        read_gold(p)
    assert "row 2" in str(exc.value) and "'date'" in str(exc.value)
