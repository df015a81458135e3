"""Every sentence in tests/cases/*.yaml gives exactly the claims it lists."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.corpus import Article
from pipeline.domain import load_domain
from pipeline.extract import extract_articles
from pipeline.table import format_value

CASES_DIR = Path(__file__).parent / "cases"
DEFAULT_PUBLISHED = "2024-06-15"
FIELDS = ("metric", "value", "unit", "qualifier", "date", "period_start")


def load_cases() -> list[tuple[str, int, dict]]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            out.append((path.stem, i, case))
    return out


CASES = load_cases()


def expected_rows(case: dict) -> set[tuple]:
    domain = load_domain()
    published = str(case.get("published", DEFAULT_PUBLISHED))
    rows = set()
    for e in case.get("expect") or []:
        e = {k: v for k, v in e.items() if k != "location"}
        spec = domain.metric(e["metric"])
        assert spec is not None, f"unknown metric {e['metric']}"
        rows.add(
            (
                e["metric"],
                format_value(float(e["value"])),
                str(e.get("unit", spec.unit)),
                str(e.get("qualifier", "exact")),
                str(e.get("date", published)),
                str(e.get("period_start", "")),
            )
        )
    return rows


@pytest.fixture(scope="module")
def results(nlp):
    """Extract all cases in one batch: each case is its own article."""
    articles = [
        Article(f"{group}-{i:03d}", case["text"], {"published": str(case.get("published", DEFAULT_PUBLISHED))})
        for group, i, case in CASES
    ]
    table = extract_articles(articles, nlp)
    got: dict[str, set[tuple]] = {a.article_id: set() for a in articles}
    places: dict[str, dict[tuple, str]] = {a.article_id: {} for a in articles}
    for row in table.itertuples(index=False):
        key = (row.metric, format_value(float(row.value)), row.unit, row.qualifier, row.date, row.period_start)
        got[row.article_id].add(key)
        places[row.article_id][key[:2]] = row.location
    return got, places


def test_there_are_cases():
    assert len(CASES) >= 40


def params():
    out = []
    for g, i, case in CASES:
        marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if case.get("xfail") else []
        out.append(pytest.param(g, i, case, id=f"{g}-{i}", marks=marks))
    return out


@pytest.mark.parametrize("group,index,case", params())
def test_case(results, group, index, case):
    got_all, places = results
    aid = f"{group}-{index:03d}"
    got = got_all[aid]
    want = expected_rows(case)
    missing = want - got
    spurious = got - want
    assert not missing and not spurious, (
        f"\n{case['text']}\n  missing:  {sorted(missing)}\n  spurious: {sorted(spurious)}\n  fields: {FIELDS}"
    )
    for e in case.get("expect") or []:
        if "location" in e:
            key = (e["metric"], format_value(float(e["value"])))
            assert places[aid].get(key) == e["location"], f"{case['text']}: location {places[aid].get(key)!r}"


def test_claim_f1_over_all_cases(results):
    """The whole set scored like the contract's claim level (known gaps included)."""
    got_all, _ = results
    tp = fp = fn = 0
    for group, i, case in CASES:
        got = got_all[f"{group}-{i:03d}"]
        want = expected_rows(case)
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"cases: {len(CASES)}  claims expected: {tp + fn}  tp {tp} fp {fp} fn {fn}  P {precision:.3f} R {recall:.3f} F1 {f1:.3f}")
    assert f1 >= 0.95
