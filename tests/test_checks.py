"""Consistency checks (conflict, regression, outlier) on hand-made claims tables, and the
`claims check` command."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.checks import FINDING_COLUMNS, check_claims, load_checks
from pipeline.domain import DEFAULT_MODELS_DIR, DomainError
from pipeline.table import claims_frame, write_claims

from conftest import claims_table as table, run_claims as run

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((ROOT / "tests" / "checks" / "cases.yaml").read_text(encoding="utf-8"))


def found(findings: pd.DataFrame) -> list[list[str]]:
    return sorted([r.rule, r.claim_id_a, r.claim_id_b] for r in findings.itertuples())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_check_case(case):
    findings = check_claims(table(case["claims"]), load_checks())
    assert list(findings.columns) == FINDING_COLUMNS
    assert found(findings) == sorted(case["expect"])


def test_every_rule_has_a_case_that_fires_and_one_clean_table():
    fired = {rule for c in CASES for rule, *_ in c["expect"]}
    assert fired == {"conflict", "inconsistent", "regression", "outlier"}
    assert any(not c["expect"] for c in CASES)


def test_finding_names_both_claims_with_article_and_sentence():
    case = next(c for c in CASES if c["name"].startswith("over 300 and exactly 250"))
    f = check_claims(table(case["claims"])).iloc[0]
    assert (f.article_id_a, f.article_id_b) == ("art-a", "art-b")
    assert "300" in f.sentence_a and "250" in f.sentence_b
    assert (f.value_a, f.qualifier_a, f.value_b, f.qualifier_b) == ("300", "lower_bound", "250", "exact")
    assert "over 300" in f.detail and "250" in f.detail


def _models_copy(tmp_path: Path, edit) -> Path:
    models = tmp_path / "models"
    shutil.copytree(DEFAULT_MODELS_DIR, models)
    data = yaml.safe_load((models / "checks.yaml").read_text(encoding="utf-8"))
    edit(data)
    (models / "checks.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return models


def test_thresholds_and_rules_come_from_models(tmp_path):
    outlier_case = next(c for c in CASES if c["expect"] and c["expect"][0][0] == "outlier")
    conflict_case = next(c for c in CASES if c["name"].startswith("two exact values"))

    def loosen(data):
        data["rules"]["outlier"]["factor"] = 20
        data["tolerance"] = 0.2  # 120 vs 131 now agree
        data["rules"]["regression"]["enabled"] = False

    cfg = load_checks(_models_copy(tmp_path / "a", loosen))
    assert check_claims(table(outlier_case["claims"]), cfg).empty
    assert check_claims(table(conflict_case["claims"]), cfg).empty
    regression_case = next(c for c in CASES if c["name"].startswith("a cleared total"))
    assert check_claims(table(regression_case["claims"]), cfg).empty

    def disable(data):
        data["rules"]["conflict"]["enabled"] = False

    assert check_claims(table(conflict_case["claims"]), load_checks(_models_copy(tmp_path / "b", disable))).empty


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(tolerance="one percent"), "tolerance must be a non-negative number"),
        (lambda d: d.update(period="week"), "period must be one of"),
        (lambda d: d["rules"]["outlier"].update(factor=0.5), "factor must be above 1"),
    ],
)
def test_bad_check_settings_are_one_clear_error(tmp_path, edit, message):
    with pytest.raises(DomainError, match=message):
        load_checks(_models_copy(tmp_path, edit))


def test_check_command_writes_findings_csv(tmp_path):
    claims = tmp_path / "claims.csv"
    case = next(c for c in CASES if c["name"].startswith("a value more than ten times"))
    write_claims(claims_frame(table(case["claims"]).to_dict("records")), claims)
    out = tmp_path / "conflicts.csv"
    proc = run("check", "--claims", str(claims), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "1 finding(s): 0 conflict, 0 inconsistent, 0 regression, 1 outlier" in proc.stdout
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(written.columns) == FINDING_COLUMNS
    assert written.loc[0, "rule"] == "outlier" and written.loc[0, "value_a"] == "5200"


def test_source_differences_lowest_and_highest_across_articles():
    from pipeline.checks import source_differences

    claims = table(
        [
            {"id": "a", "metric": "area_cleared", "unit": "hectare", "value": 5000, "date": "2022", "article": "one"},
            {"id": "b", "metric": "area_cleared", "unit": "hectare", "value": 9000, "date": "2024", "article": "two"},
            {"id": "c", "metric": "area_cleared", "unit": "hectare", "value": 7000, "date": "2023", "article": "three"},
            # one article alone, and two articles within 1 %, are no difference
            {"id": "d", "metric": "deminers", "value": 300, "date": "2022", "article": "one"},
            {"id": "e", "metric": "deminers", "value": 420, "date": "2023", "article": "one"},
            {"id": "f", "metric": "funding", "unit": "usd", "value": 1000000, "date": "2022", "article": "one"},
            {"id": "g", "metric": "funding", "unit": "usd", "value": 1005000, "date": "2022", "article": "two"},
            # casualties are compared within one count start only
            {"id": "h", "metric": "mine_casualties", "value": 300, "date": "2022", "period_start": "2020-11", "article": "one"},
            {"id": "i", "metric": "mine_casualties", "value": 3000, "date": "2023", "article": "two"},
        ]
    )
    diff = source_differences(claims)
    assert diff[["metric", "claim_id_low", "claim_id_high", "claims", "articles"]].values.tolist() == [["area_cleared", "a", "b", 3, 3]]


def test_findings_most_worth_a_look_come_first():
    """Sorted by the gap times the articles on both sides: a wide gap that three sources
    back comes before a narrow one between two."""
    claims = table(
        [
            {"id": "n1", "metric": "mine_deaths", "value": 100, "date": "2023"},
            {"id": "n2", "metric": "mine_deaths", "value": 110, "date": "2023"},
            {"id": "w1", "metric": "mine_injuries", "value": 100, "date": "2023"},
            {"id": "w2", "metric": "mine_injuries", "value": 100.5, "date": "2023"},
            {"id": "w3", "metric": "mine_injuries", "value": 300, "date": "2023"},
        ]
    )
    findings = check_claims(claims)
    assert [(r.claim_id_a, r.claim_id_b) for r in findings.itertuples()] == [("w1", "w3"), ("n1", "n2")]
    first = findings.iloc[0]
    assert (first.sources_a, first.sources_b, first.scope) == (2, 1, "in the year")
    assert first.gap > findings.iloc[1].gap
