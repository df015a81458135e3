"""Hostile and unlucky inputs to every command (tests/bad_inputs/commands.yaml).

Each case runs the installed `claims` script in a fresh project folder and checks the
three promises: one stderr line naming the input and the problem (no traceback), the
exit status, and every file that was there left as it was; where the case says so, the
other inputs of the same call still go through.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from pipeline.cache import SCHEMA
from pipeline.corpus import read_article
from pipeline.table import COLUMNS

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = Path(sys.executable).with_name("claims")
CASES = yaml.safe_load((Path(__file__).parent / "bad_inputs" / "commands.yaml").read_text(encoding="utf-8"))

GOOD_ARTICLE = """---
published: 2024-02-10
title: Teams clear farmland
---
Deminers destroyed 40 anti-personnel mines in January 2024, the national authority said.
Since 2019, 12 people have been injured by mines in the district.
"""
GOOD_SOURCE = "published: 2024-02-11\n\nSurvey teams released 350 hectares of land near the border in 2023.\n"
GOOD_ROW = {
    "claim_id": "c1", "article_id": "good", "metric": "mines_destroyed", "value": "40", "unit": "count",
    "qualifier": "exact", "date": "2024-01", "date_basis": "stated", "period_start": "", "surface": "40",
    "sentence": "Deminers destroyed 40 anti-personnel mines in January 2024, the national authority said.",
    "start": "19", "end": "21", "published": "2024-02-10", "location": "Chad",
}  # fmt: skip


def table(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


# -- makers: the inputs a case names as {maker} ---------------------------------------------------
def alias_bomb() -> str:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "---\npublished: 2024-01-05\n" + "\n".join(lines) + "\n---\nTeams cleared 4 mines.\n"


def deep_nesting() -> str:
    return "---\npublished: 2024-01-05\nx: " + "[" * 400 + "]" * 400 + "\n---\nTeams cleared 4 mines.\n"


def crlf_article() -> bytes:
    text = "---\npublished: 2024-03-01\n---\nIn 2023 deminers cleared 75 hectares of farmland.\nThey also destroyed 9 mines.\n"
    return text.replace("\n", "\r\n").encode("utf-8")


def over_long() -> str:
    return "---\npublished: 2024-01-05\n---\n" + "Teams cleared 4 mines near the road. " * 30000 + "\n"


def damaged_cache(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("CREATE TABLE results (key TEXT PRIMARY KEY, rows TEXT)")
    db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
    db.executemany("INSERT INTO results VALUES (?, ?)", [(f"k{i}", "[]" * 300) for i in range(60)])
    db.commit()
    db.close()
    data = bytearray(path.read_bytes())
    for i in range(4096, len(data), 97):
        data[i] = (data[i] + 13) % 256
    path.write_bytes(bytes(data))


def foreign_sqlite(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE people (name TEXT)")
    db.execute("INSERT INTO people VALUES ('someone else''s data')")
    db.commit()
    db.close()


def parquet_inf(path: Path) -> None:
    import pandas as pd

    row = {**GOOD_ROW, "value": float("inf"), "start": 19, "end": 21}
    pd.DataFrame([row], columns=COLUMNS).to_parquet(path, index=False)


def alike(kind: str) -> str:
    if kind == "gold":
        return "article_id,metric,value,unit,qualifier,date,period_start,surface\n" + "good,mines_destroyed,1000,count,exact,2024,,1000\n" * 1200
    return table([{**GOOD_ROW, "claim_id": f"c{i}", "value": f"{1000 + i / 1000:.3f}", "date": "2024"} for i in range(1200)])


TEXT_MAKERS = {
    "alias_bomb": alias_bomb,
    "deep_nesting": deep_nesting,
    "crlf_article": crlf_article,
    "over_long": over_long,
    "long_sentence_table": lambda: table([{**GOOD_ROW, "sentence": "Deminers destroyed 40 mines; " * 4700}]),
    "alike_gold": lambda: alike("gold"),
    "alike_claims": lambda: alike("claims"),
}
FILE_MAKERS = {
    "fifo": os.mkfifo,
    "dev_zero_link": lambda path: os.symlink("/dev/zero", path),
    "damaged_cache": damaged_cache,
    "foreign_sqlite": foreign_sqlite,
    "parquet_inf": parquet_inf,
    "models_copy": lambda path: shutil.copytree(ROOT / "models", path),
}


def make(project: Path, name: str, content: str) -> None:
    path = project / name if name != "{latin1_name}" else Path(os.fsdecode(bytes(project / "corpus") + b"/caf\xe9.txt"))
    path.parent.mkdir(parents=True, exist_ok=True)
    if content.startswith("{table:"):
        key, _, value = content[len("{table:") : -1].partition("=")
        path.write_text(table([{**GOOD_ROW, key: value}]), encoding="utf-8")
    elif content.startswith("{") and content[1:-1] in TEXT_MAKERS:
        data = TEXT_MAKERS[content[1:-1]]()
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    elif content.startswith("{") and content[1:-1] in FILE_MAKERS:
        FILE_MAKERS[content[1:-1]](path)
    else:
        path.write_text(content, encoding="utf-8")


def snapshot(project: Path) -> dict[str, str]:
    """Every regular file's hash (pipes and devices are not opened)."""
    out = {}
    for path in project.rglob("*"):
        if path.is_file() and not path.is_symlink():
            out[os.fsdecode(path.relative_to(project))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# -- servers that misbehave --------------------------------------------------------------------
def _drip(conn: socket.socket, head: bytes, body: bytes) -> None:
    conn.sendall(head)
    for byte in body:
        conn.sendall(bytes([byte]))
        time.sleep(0.5)


ANSWERS = {
    "/drip": lambda c: _drip(c, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", b"<p>" + b"x" * 200),
    "/drip-headers": lambda c: _drip(c, b"", b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 200),
    "/garbage": lambda c: c.sendall(b"\x00\x01this is not http\r\n\r\n"),
    "/to-file": lambda c: c.sendall(b"HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n"),
}


def _serve(sock: socket.socket, answer: bool) -> None:
    held = []
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        held.append(conn)  # a silent server keeps the connection open and says nothing
        if answer:
            threading.Thread(target=_answer, args=(conn,), daemon=True).start()


def _answer(conn: socket.socket) -> None:
    try:
        request = conn.recv(4096).decode("latin-1")
        path = request.split(" ")[1] if " " in request else "/"
        ANSWERS.get(path, lambda c: c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))(conn)
        time.sleep(0.5)
        conn.close()
    except OSError:
        pass


def _listen(answer: bool) -> tuple[socket.socket, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    threading.Thread(target=_serve, args=(sock, answer), daemon=True).start()
    return sock, sock.getsockname()[1]


@pytest.fixture(scope="module")
def servers():
    web, web_port = _listen(answer=True)
    silent, silent_port = _listen(answer=False)
    yield {"server": f"http://127.0.0.1:{web_port}", "silent_port": str(silent_port)}
    web.close()
    silent.close()


def test_every_command_has_hostile_cases():
    commands = {case["args"][0] for case in CASES}
    assert commands >= {"extract", "ingest", "eval", "check", "report", "bench"}
    assert len({case["id"] for case in CASES}) == len(CASES) >= 50


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hostile_input(case, tmp_path, servers):
    needs_missing = case.get("needs_missing")
    if needs_missing and __import__("importlib.util").util.find_spec(needs_missing):
        pytest.skip(f"{needs_missing} is installed here")
    project = tmp_path / "project"
    make(project, "corpus/good.txt", GOOD_ARTICLE)
    make(project, "outputs/claims.csv", table([GOOD_ROW]))
    make(project, "gold.csv", table([GOOD_ROW]))
    make(project, "good_source.txt", GOOD_SOURCE)
    for name, content in (case.get("files") or {}).items():
        make(project, name, content)
    before = snapshot(project)
    corpus_before = sorted(os.listdir(project / "corpus"))

    fill = {**servers, "good_source": "good_source.txt"}
    args = [_fill(a, fill) for a in case["args"]]
    started = time.monotonic()
    proc = subprocess.run([str(CLAIMS), *args], cwd=project, capture_output=True, timeout=case.get("within", 120) + 30)
    took = time.monotonic() - started
    stderr = proc.stderr.decode("utf-8", "backslashreplace")
    shown = f"exit {proc.returncode} after {took:.1f} s\n{stderr}"

    assert took <= case.get("within", 120), shown
    assert proc.returncode == case["exit"], shown
    assert "Traceback" not in stderr, shown
    assert all(len(line) <= 400 for line in stderr.splitlines()), shown
    says = [_fill(s, fill) for s in case.get("says") or []]
    if says:
        assert any(all(s in line for s in says) for line in stderr.splitlines()), shown

    after = snapshot(project)
    allowed = set(case.get("changes") or [])
    for old, new in (case.get("moved") or {}).items():
        assert after.get(new) == before[old], f"{old} was not kept as {new}\n{shown}"
        allowed.add(old)
    for name, digest in before.items():
        if name not in allowed:
            assert after.get(name) == digest, f"{name} changed or vanished\n{shown}"

    if case.get("claims_for"):
        rows = list(csv.DictReader(io.StringIO((project / "outputs/claims.csv").read_text(encoding="utf-8"))))
        mine = [r for r in rows if r["article_id"] == case["claims_for"]]
        assert mine, f"no claims for {case['claims_for']}\n{shown}"
        body = read_article(project / "corpus" / f"{case['claims_for']}.txt").body
        assert all(body[int(r["start"]) : int(r["end"])] == r["surface"] for r in mine)
    if "adds" in case:
        added = sorted(set(os.listdir(project / "corpus")) - set(corpus_before))
        assert len(added) == case["adds"], f"added {added}\n{shown}"


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


# -- what a root user cannot make with chmod: read-only files and folders, simulated --------------
def test_read_only_cache_is_read_and_left_alone(tmp_path, monkeypatch, capsys):
    """A cache.sqlite that may not be written: cached results are still used, the run goes on
    with one warning, and the file is not touched."""
    import pipeline.cache as cache_module
    from pipeline.extract import extract_corpus

    corpus = tmp_path / "corpus"
    make(tmp_path, "corpus/good.txt", GOOD_ARTICLE)
    cache = tmp_path / "cache.sqlite"
    first = extract_corpus(corpus, cache=cache).table
    make(tmp_path, "corpus/second.txt", GOOD_ARTICLE.replace("40", "41"))
    before = cache.read_bytes()
    connect = sqlite3.connect
    monkeypatch.setattr(cache_module.sqlite3, "connect", lambda path: connect(f"file:{path}?mode=ro", uri=True))
    result = extract_corpus(corpus, cache=cache)
    assert result.cached == 1 and result.articles == 2
    assert len(result.table) > len(first)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(cache) in err[0] and "running on without the cache" in err[0], err
    assert cache.read_bytes() == before


def test_output_in_read_only_folder_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    from pipeline.cli import main

    make(tmp_path, "corpus/good.txt", GOOD_ARTICLE)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "claims.csv").write_text("previous\n", encoding="utf-8")
    real_access = os.access
    # as root, chmod does not stop a write: make the folder read-only in the check's eyes too
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    locked.chmod(0o555)
    try:
        code = main(["extract", "--corpus", str(tmp_path / "corpus"), "--out", str(locked / "claims.csv")])
    finally:
        locked.chmod(0o755)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "read-only" in err[0] and str(locked / "claims.csv") in err[0], err
    assert sorted(os.listdir(locked)) == ["claims.csv"]
    assert (locked / "claims.csv").read_text(encoding="utf-8") == "previous\n"


def test_read_only_corpus_every_input_tried_and_named(tmp_path, monkeypatch):
    import pipeline.ingest as ingest_module

    def refuse(path, data, overwrite=True):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(ingest_module, "write_atomic", refuse)
    make(tmp_path, "a.txt", GOOD_SOURCE)
    make(tmp_path, "b.txt", GOOD_SOURCE.replace("350", "351"))
    result = ingest_module.ingest([str(tmp_path / "a.txt"), str(tmp_path / "b.txt")], tmp_path / "corpus")
    assert not result.added
    assert [str(f) for f in result.failed] == [
        f"{tmp_path / n}: cannot be written to {tmp_path / 'corpus'} (Permission denied)" for n in ("a.txt", "b.txt")
    ]
