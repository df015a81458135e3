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
    for row in table.itertuples(index=False):
        got[row.article_id].add(
            (row.metric, format_value(float(row.value)), row.unit, row.qualifier, row.date, row.period_start)
        )
    return got


def test_there_are_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("group,index,case", CASES, ids=[f"{g}-{i}" for g, i, _ in CASES])
def test_case(results, group, index, case):
    got = results[f"{group}-{index:03d}"]
    want = expected_rows(case)
    missing = want - got
    spurious = got - want
    assert not missing and not spurious, (
        f"\n{case['text']}\n  missing:  {sorted(missing)}\n  spurious: {sorted(spurious)}\n  fields: {FIELDS}"
    )
