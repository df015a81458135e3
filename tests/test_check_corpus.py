"""The checks on a corpus written for them (tests/checks/corpus): fifteen articles from
several outlets on three countries over two years, with disagreements between sources
planted in them and many traps that are none (breakdowns, a week beside a year, yearly
series, parts and totals, a region beside its country, two currencies, donors named in
the sentence). Written by a helper from a brief, without sight of the rules; every
planted disagreement is listed in tests/checks/planted.yaml.

`claims extract` then `claims check`, typed as a user types them, must give exactly the
planted findings: each one found, nothing else flagged.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = Path(sys.executable).with_name("claims")
CHECKS = ROOT / "tests" / "checks"


def test_checks_find_exactly_the_planted_disagreements(tmp_path):
    table, findings = tmp_path / "claims.csv", tmp_path / "conflicts.csv"
    for args in (["extract", "--corpus", str(CHECKS / "corpus"), "--out", str(table)], ["check", "--claims", str(table), "--out", str(findings)]):
        proc = subprocess.run([str(CLAIMS), *args], capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
    found = pd.read_csv(findings, dtype=str, keep_default_na=False)
    planted = yaml.safe_load((CHECKS / "planted.yaml").read_text(encoding="utf-8"))["disagreements"]

    def ends(article_a: str, value_a: str, article_b: str, value_b: str, ordered: bool) -> tuple:
        pair = ((article_a, float(value_a)), (article_b, float(value_b)))
        return pair if ordered else tuple(sorted(pair))

    got = sorted(
        (f.rule, f.location, f.metric, ends(f.article_id_a, f.value_a, f.article_id_b, f.value_b, f.rule == "regression"))
        for f in found.itertuples()
    )
    want = sorted(
        (p["kind"], p["country"], p["metric"], ends(p["a"]["article"], p["a"]["value"], p["b"]["article"], p["b"]["value"], p["kind"] == "regression"))
        for p in planted
    )
    assert got == want, "\n" + found[["rule", "location", "region", "metric", "scope", "detail"]].to_string()


def test_the_check_corpus_has_traps_and_more_than_twelve_articles():
    planted = yaml.safe_load((CHECKS / "planted.yaml").read_text(encoding="utf-8"))
    articles = sorted((CHECKS / "corpus").glob("*.txt"))
    assert len(articles) >= 12 and len(planted["traps"]) >= 12 and len(planted["disagreements"]) >= 3
    outlets = {a.read_text(encoding="utf-8").split("outlet:", 1)[1].split("\n", 1)[0].strip() for a in articles}
    assert len(outlets) >= 8
