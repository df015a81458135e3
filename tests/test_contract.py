"""The claims table keeps the contract: columns, offsets, order, ids, determinism, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from pipeline.corpus import read_article
from pipeline.extract import extract_corpus
from pipeline.table import COLUMNS, read_claims, write_claims

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CONTRACT_COLUMNS = [
    "claim_id", "article_id", "metric", "value", "unit", "qualifier", "date", "date_basis",
    "period_start", "surface", "sentence", "start", "end", "published", "location",
]


@pytest.fixture(scope="module")
def table(nlp):
    result = extract_corpus(CORPUS, keep_other=True, nlp=nlp)
    assert not result.failures
    return result.table


def test_columns_in_contract_order(table):
    assert list(table.columns)[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
    assert COLUMNS[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS


def test_offsets_point_at_surface(table):
    bodies = {p.stem: read_article(p).body for p in CORPUS.glob("*.txt")}
    assert len(table) > 40
    for row in table.itertuples(index=False):
        body = bodies[row.article_id]
        assert body[row.start : row.end] == row.surface
        assert row.surface in row.sentence
        assert body.find(row.sentence) != -1


def test_sorted_by_article_then_start(table):
    keys = list(zip(table["article_id"], table["start"]))
    assert keys == sorted(keys)


def test_claim_ids_unique(table):
    assert table["claim_id"].is_unique


def test_values_are_plain_decimals(tmp_path, table):
    out = tmp_path / "claims.csv"
    write_claims(table, out)
    raw = pd.read_csv(out, dtype=str, keep_default_na=False)
    for v in raw["value"]:
        assert "e" not in v.lower() and not v.endswith(".0"), v
        float(v)


def test_enumerations(table):
    assert set(table["qualifier"]) <= {"exact", "approx", "lower_bound", "upper_bound"}
    assert set(table["date_basis"]) <= {"stated", "published"}
    assert table["date"].str.match(r"^\d{4}(-\d{2}(-\d{2})?)?$").all()
    ps = table["period_start"]
    assert ps[ps != ""].str.match(r"^\d{4}(-\d{2}(-\d{2})?)?$").all()


def test_same_bytes_every_run(tmp_path, nlp, table):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_claims(table, a)
    write_claims(extract_corpus(CORPUS, keep_other=True, nlp=nlp).table, b)
    assert a.read_bytes() == b.read_bytes()


def test_ids_stable_when_other_articles_change(tmp_path, nlp, table):
    """A claim's id depends on its own article's text, not on what else is in the corpus."""
    (tmp_path / "corpus").mkdir()
    one = sorted(CORPUS.glob("*.txt"))[0]
    (tmp_path / "corpus" / one.name).write_bytes(one.read_bytes())
    alone = extract_corpus(tmp_path / "corpus", keep_other=True, nlp=nlp).table
    full = table[table["article_id"] == one.stem]
    assert list(alone["claim_id"]) == list(full["claim_id"])


def test_round_trip(tmp_path, table):
    out = tmp_path / "claims.csv"
    write_claims(table, out)
    back = read_claims(out)
    assert list(back.columns) == COLUMNS
    assert len(back) == len(table)


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch, table):
    out = tmp_path / "claims.csv"
    out.write_text("previous good table\n", encoding="utf-8")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_claims(table, out)
    assert out.read_text(encoding="utf-8") == "previous good table\n"
    assert [p.name for p in tmp_path.iterdir()] == ["claims.csv"]  # no temporary left behind
