"""Corpus and outputs through fsspec (in-memory and file:// URLs), and Parquet output."""

from __future__ import annotations

import io
import uuid

import fsspec
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.corpus import CorpusError, iter_corpus
from pipeline.evaluate import read_predicted
from pipeline.extract import extract_corpus
from pipeline.storage import read_bytes, write_atomic
from pipeline.table import read_claims, to_csv_text, write_claims

from conftest import ROOT, run_claims


@pytest.fixture
def memory_corpus(big_corpus):
    """The 40-article corpus copied into fsspec's in-memory file system."""
    fs = fsspec.filesystem("memory")
    root = f"/corpus-{uuid.uuid4().hex[:8]}"
    for path in sorted(big_corpus.glob("*.txt")):
        fs.pipe_file(f"{root}/{path.name}", path.read_bytes())
    yield f"memory://{root}"
    fs.rm(root, recursive=True)


def test_memory_corpus_and_output_same_bytes(memory_corpus, plain, nlp):
    result = extract_corpus(memory_corpus, nlp=nlp)
    assert result.articles == 40 and not result.failures
    out = f"{memory_corpus}-out/claims.csv"
    write_claims(result.table, out)
    assert read_bytes(out).decode("utf-8") == plain


def test_memory_corpus_with_two_jobs(memory_corpus, plain):
    assert to_csv_text(extract_corpus(memory_corpus, jobs=2).table) == plain


def test_bad_files_through_fsspec_are_named(nlp):
    fs = fsspec.filesystem("memory")
    root = f"/bad-{uuid.uuid4().hex[:8]}"
    fs.pipe_file(f"{root}/good.txt", b"---\npublished: 2024-01-02\n---\nDeminers destroyed 40 mines.\n")
    fs.pipe_file(f"{root}/latin1.txt", "---\npublished: 2024-01-02\n---\nCaf\xe9 40 mines\n".encode("latin-1"))
    fs.pipe_file(f"{root}/folder.txt/inner", b"x")
    items = list(iter_corpus(f"memory://{root}"))
    errors = {e.path.rsplit("/", 1)[-1]: e.problem for e in items if isinstance(e, CorpusError)}
    assert errors == {"folder.txt": "is a directory, not a file", "latin1.txt": "not UTF-8 (invalid byte at offset 33)"}
    assert [a.article_id for a in items if not isinstance(a, CorpusError)] == ["good"]
    with pytest.raises(CorpusError, match="corpus folder not found"):
        extract_corpus(f"memory://{root}-missing", nlp=nlp)
    fs.rm(root, recursive=True)


def test_write_atomic_to_memory_never_overwrites_when_asked(tmp_path):
    url = f"memory:///w-{uuid.uuid4().hex[:8]}/a.txt"
    write_atomic(url, "one")
    with pytest.raises(FileExistsError):
        write_atomic(url, "two", overwrite=False)
    assert read_bytes(url) == b"one"


def read_claims_text(text: str) -> pd.DataFrame:
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return df.astype({"start": "int64", "end": "int64"})


def test_parquet_has_the_csv_columns_and_types(tmp_path, plain):
    csv_table = read_claims_text(plain)
    path = tmp_path / "claims.parquet"
    write_claims(csv_table, path)
    schema = pq.read_schema(path)
    assert schema.names == list(csv_table.columns)
    types = {f.name: str(f.type) for f in schema}
    assert types["value"] == "double" and types["start"] == types["end"] == "int64"
    assert {t for n, t in types.items() if n not in ("value", "start", "end")} == {"string"}
    back = read_claims(path)
    assert to_csv_text(back) == plain  # the same table, value for value
    assert len(read_predicted(path)) == len(csv_table)  # eval, check and report read it too


def test_command_with_file_urls_and_parquet(tmp_path):
    corpus = (ROOT / "corpus").as_uri()
    out_csv, out_parquet = tmp_path / "claims.csv", tmp_path / "claims.parquet"
    proc = run_claims("extract", "--corpus", corpus, "--out", out_csv.as_uri(), "-q", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    proc = run_claims("extract", "--corpus", corpus, "--out", out_parquet.as_uri(), "-q", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    assert to_csv_text(read_claims(out_parquet)) == out_csv.read_text(encoding="utf-8")
    proc = run_claims("eval", "--claims", str(out_parquet), "--min-f1", "0.9")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_built_once_builds_once_and_mends_a_damaged_file(tmp_path, monkeypatch):
    from pipeline.storage import built_once

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calls = []

    def build():
        calls.append(1)
        return {"kharkiv": ("UA", "Kharkiv")}

    assert built_once("t", ["v1"], build) == {"kharkiv": ("UA", "Kharkiv")}
    assert built_once("t", ["v1"], build) == {"kharkiv": ("UA", "Kharkiv")}
    assert len(calls) == 1  # the second run reads the file
    (path,) = (tmp_path / "mine-claims").glob("t-*.marshal")
    path.write_bytes(b"\x00not marshal")
    assert built_once("t", ["v1"], build) == {"kharkiv": ("UA", "Kharkiv")}
    assert len(calls) == 2  # a damaged file is built again
    assert built_once("t", ["v1"], build, valid=lambda v: isinstance(v, list)) == {"kharkiv": ("UA", "Kharkiv")}
    assert len(calls) == 3  # a value of the wrong shape too
    built_once("t", ["v2"], build)
    assert [p.name for p in (tmp_path / "mine-claims").glob("t-*.marshal")] != [path.name]
    assert len(list((tmp_path / "mine-claims").glob("t-*.marshal"))) == 1  # other versions' files go


def test_built_once_in_a_read_only_home(tmp_path, monkeypatch):
    from pipeline.storage import built_once

    home = tmp_path / "ro"
    home.mkdir()
    home.chmod(0o500)
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    try:
        assert built_once("t", ["v1"], lambda: (1, 2)) == (1, 2)
    finally:
        home.chmod(0o700)
