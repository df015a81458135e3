"""The `claims` command on good and bad corpora, run as a user runs it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from conftest import run_claims as run

ROOT = Path(__file__).resolve().parent.parent
GOOD = sorted((ROOT / "corpus").glob("*.txt"))[0]




BAD = {
    "no_published.txt": ("---\ntitle: x\n---\nSome 40 mines were destroyed.\n", "no 'published'"),
    "broken_front.txt": ("---\npublished: 2024-01-02\ntitle: [unclosed\n---\nSome 40 mines were destroyed.\n", "broken front matter"),
    "not_closed.txt": ("---\npublished: 2024-01-02\nSome 40 mines were destroyed.\n", "not closed"),
    "bad_date.txt": ("---\npublished: last Tuesday\n---\nSome 40 mines were destroyed.\n", "not an ISO 8601 date"),
    "empty_body.txt": ("---\npublished: 2024-01-02\n---\n   \n", "empty body"),
    "no_front.txt": ("Just text, 40 mines.\n", "no front matter"),
}


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("bad")
    corpus = work / "corpus"
    corpus.mkdir()
    shutil.copy(GOOD, corpus / GOOD.name)
    for name, (text, _) in BAD.items():
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "latin1.txt").write_bytes("---\npublished: 2024-01-02\n---\nCaf\xe9 40 mines\n".encode("latin-1"))
    (corpus / "a_folder.txt").mkdir()
    out = work / "claims.csv"
    proc = run("extract", "--corpus", str(corpus), "--out", str(out), cwd=ROOT)
    return proc, out


def test_bad_articles_named_with_problem(bad_run):
    proc, _ = bad_run
    for name, (_, problem) in BAD.items():
        lines = [l for l in proc.stderr.splitlines() if name in l and problem in l]
        assert lines, f"no error line for {name} saying {problem!r}:\n{proc.stderr}"
    assert any("latin1.txt" in l and "not UTF-8" in l for l in proc.stderr.splitlines())
    assert any("a_folder.txt" in l and "directory" in l for l in proc.stderr.splitlines())


def test_bad_articles_do_not_stop_the_good_one(bad_run):
    proc, out = bad_run
    assert proc.returncode == 1
    text = out.read_text(encoding="utf-8")
    assert GOOD.stem in text
    assert "articles: 1" in proc.stdout
    assert "8 article(s) failed" in proc.stderr


def test_failed_run_leaves_previous_output(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "only_bad.txt").write_text("no front matter here, 40 mines\n", encoding="utf-8")
    out = tmp_path / "claims.csv"
    out.write_text("previous\n", encoding="utf-8")
    proc = run("extract", "--corpus", str(corpus), "--out", str(out), cwd=ROOT)
    assert proc.returncode != 0
    assert out.read_text(encoding="utf-8") == "previous\n"
    proc = run("extract", "--corpus", str(tmp_path / "missing"), "--out", str(out), cwd=ROOT)
    assert proc.returncode != 0
    assert "corpus folder not found" in proc.stderr
    assert out.read_text(encoding="utf-8") == "previous\n"


def test_extract_and_eval_round_trip(tmp_path):
    out = tmp_path / "claims.csv"
    proc = run("extract", "--out", str(out), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "articles: 5" in proc.stdout
    report = tmp_path / "report.json"
    proc = run("eval", "--claims", str(out), "--json", str(report), "--min-f1", "0.9", cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for word in ("claim", "metric", "figure", "missed", "spurious", "qualifier right"):
        assert word in proc.stdout
    assert report.exists()
    fewer = tmp_path / "fewer.csv"
    pd.read_csv(out, dtype=str, keep_default_na=False).iloc[:-1].to_csv(fewer, index=False)  # one claim missed: F1 below 1
    proc = run("eval", "--claims", str(fewer), "--min-f1", "0.999", cwd=ROOT)
    assert proc.returncode == 1 and "below --min-f1" in proc.stderr
    proc = run("eval", "--claims", str(out), "--min-f1", "1.01", cwd=ROOT)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "--min-f1" in proc.stderr, proc.stderr


def test_an_article_that_breaks_the_pipeline_is_reported_not_fatal(nlp, monkeypatch):
    """A component failing on one article: the others still come out, the failure is listed."""
    from pipeline.corpus import Article
    from pipeline.extract import extract_articles

    quantities = nlp.get_pipe("claim_quantities")
    original = type(quantities).__call__

    def fragile(self, doc):
        if "BREAK" in doc.text:
            raise ValueError("boom")
        return original(self, doc)

    monkeypatch.setattr(type(quantities), "__call__", fragile)
    failures = []
    arts = [
        Article("good", "Deminers destroyed 40 mines.", {"published": "2024-01-01"}),
        Article("bad", "BREAK 12 mines were found.", {"published": "2024-01-01"}),
    ]
    table = extract_articles(arts, nlp, failures=failures)
    assert list(table["article_id"]) == ["good"]
    assert len(failures) == 1 and failures[0].path == "bad" and "extraction failed" in failures[0].problem


@pytest.mark.parametrize(
    "command, out_name, claims_text, problem",
    [
        ("check", "conflicts.csv", "article_id,metric,value\nx,mine_deaths,12\n", "no column 'unit'"),
        ("report", "report.html", "article_id,metric,value,unit,qualifier,date,period_start,surface\nx,mine_deaths,twelve,count,exact,2024,,12\n", "row 2, column 'value'"),
        ("report", "report.html", "article_id,metric,value,unit,qualifier,date,period_start,surface\nx,mine_deaths,12,count,exact,last year,,12\n", "row 2, column 'date'"),
    ],
)
def test_table_commands_bad_claims_keep_old_output(tmp_path, command, out_name, claims_text, problem):
    claims = tmp_path / "claims.csv"
    claims.write_text(claims_text, encoding="utf-8")
    out = tmp_path / out_name
    out.write_text("previous output\n", encoding="utf-8")
    proc = run(command, "--claims", str(claims), "--out", str(out), cwd=ROOT)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(claims) in lines[0] and problem in lines[0], proc.stderr
    assert out.read_text(encoding="utf-8") == "previous output\n"
