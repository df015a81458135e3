"""Every sentence in tests/cases/*.yaml gives exactly the claims it lists."""

from __future__ import annotations

import pytest

from pipeline.accuracy import Case, load_cases
from pipeline.extract import extract_articles
from pipeline.table import format_value

FIELDS = ("metric", "value", "unit", "qualifier", "date", "period_start")
CASES = load_cases()


def expected_rows(case: Case) -> set[tuple]:
    return {(r["metric"], format_value(r["value"]), r["unit"], r["qualifier"], r["date"], r["period_start"]) for r in case.gold_rows()}


@pytest.fixture(scope="module")
def results(nlp):
    """Extract all cases in one batch: each case is its own article."""
    articles = [case.article() for case in CASES]
    table = extract_articles(articles, nlp, keep_other=True)
    got: dict[str, set[tuple]] = {a.article_id: set() for a in articles}
    places: dict[str, dict[tuple, str]] = {a.article_id: {} for a in articles}
    figures: dict[str, dict[tuple, str]] = {a.article_id: {} for a in articles}
    for row in table.itertuples(index=False):
        figures[row.article_id][(row.start, row.end)] = f"{format_value(float(row.value))} {row.unit}"  # once per figure
        if row.metric == "other":
            continue
        key = (row.metric, format_value(float(row.value)), row.unit, row.qualifier, row.date, row.period_start)
        got[row.article_id].add(key)
        places[row.article_id][key[:2]] = (row.location, row.region)
    return got, places, {k: sorted(v.values()) for k, v in figures.items()}


def test_there_are_cases():
    assert len(CASES) >= 40


def params():
    out = []
    for case in CASES:
        marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
        out.append(pytest.param(case, id=f"{case.group}-{case.index}", marks=marks))
    return out


@pytest.mark.parametrize("case", params())
def test_case(results, case):
    got_all, places, figures = results
    got = got_all[case.article_id]
    want = expected_rows(case)
    missing = want - got
    spurious = got - want
    assert not missing and not spurious, (
        f"\n{case.text}\n  missing:  {sorted(missing)}\n  spurious: {sorted(spurious)}\n  fields: {FIELDS}"
    )
    if case.figures is not None:
        want_figures = sorted(f"{format_value(float(f.split()[0]))} {f.split()[1]}" for f in case.figures)
        assert figures[case.article_id] == want_figures, f"\n{case.text}\n  figures: {figures[case.article_id]}\n  expected: {want_figures}"
    for e in case.expect:
        if "location" in e:
            key = (e["metric"], format_value(float(e["value"])))
            where = places[case.article_id].get(key, ("", ""))
            assert where == (e["location"], e.get("region", "")), f"{case.text}: location, region {where!r}"


def test_claim_f1_over_all_cases(results):
    """The whole set scored like the contract's claim level (known gaps included)."""
    got_all, _, _ = results
    tp = fp = fn = 0
    for case in CASES:
        got = got_all[case.article_id]
        want = expected_rows(case)
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"cases: {len(CASES)}  claims expected: {tp + fn}  tp {tp} fp {fp} fn {fn}  P {precision:.3f} R {recall:.3f} F1 {f1:.3f}")
    assert f1 >= 0.95
