"""Parallel and cached extraction give the same bytes as a plain run."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from pipeline.corpus import Article, format_article, read_article
from pipeline.extract import extract_corpus
from pipeline.table import to_csv_text

ROOT = Path(__file__).resolve().parent.parent


def test_two_jobs_same_bytes(big_corpus, plain):
    assert to_csv_text(extract_corpus(big_corpus, jobs=2).table) == plain


def test_cached_run_same_bytes_and_only_changes_redone(big_corpus, plain, nlp, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(big_corpus, corpus)
    cache = tmp_path / "cache.sqlite"
    first = extract_corpus(corpus, nlp=nlp, cache=cache)
    assert first.cached == 0 and to_csv_text(first.table) == plain
    second = extract_corpus(corpus, nlp=nlp, cache=cache)
    assert second.cached == 40 and to_csv_text(second.table) == plain
    # change one article: only it is processed again, and its new figure shows
    path = sorted(corpus.glob("*.txt"))[3]
    art = read_article(path)
    path.write_text(format_article(Article(art.article_id, art.body + "\nDeminers destroyed 4,321 mines last week.\n", art.meta)), encoding="utf-8")
    third = extract_corpus(corpus, nlp=nlp, cache=cache)
    assert third.cached == 39
    assert "4321" in set(third.table["value"])
    assert to_csv_text(third.table) == to_csv_text(extract_corpus(corpus, nlp=nlp).table)


def test_changed_models_invalidate_cache(big_corpus, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models)
    cache = tmp_path / "cache.sqlite"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in sorted(big_corpus.glob("*.txt"))[:3]:
        shutil.copy(p, corpus / p.name)
    assert extract_corpus(corpus, models_dir=models, cache=cache).cached == 0
    assert extract_corpus(corpus, models_dir=models, cache=cache).cached == 3
    with open(models / "cues.yaml", "a", encoding="utf-8") as fh:
        fh.write("\n# a change an analyst made\n")
    assert extract_corpus(corpus, models_dir=models, cache=cache).cached == 0


@pytest.mark.parametrize("kind", ["garbage", "foreign"])
def test_bad_cache_is_rebuilt_with_warning(kind, tmp_path, nlp, capsys, big_corpus):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in sorted(big_corpus.glob("*.txt"))[:2]:
        shutil.copy(p, corpus / p.name)
    cache = tmp_path / "cache.sqlite"
    if kind == "garbage":
        cache.write_bytes(b"this is not a database at all" * 100)
    else:
        db = sqlite3.connect(cache)
        db.execute("CREATE TABLE results (key TEXT PRIMARY KEY, rows TEXT)")
        db.execute("INSERT INTO results VALUES ('x', '[]')")
        db.commit()
        db.close()
    result = extract_corpus(corpus, nlp=nlp, cache=cache)
    assert result.cached == 0 and result.articles == 2
    assert "not a usable cache" in capsys.readouterr().err
    assert (tmp_path / "cache.sqlite.bad").exists()
    assert extract_corpus(corpus, nlp=nlp, cache=cache).cached == 2
