"""Every README command typed the way a user types it: the installed console script,
default flags, real files, and a corpus of several batches.

The extract runs go through a corpus's life (first run, all cached, one article changed,
one article added) and each table must equal, byte for byte, what `--jobs 1 --no-cache`
writes for the same corpus. The hash-seed test runs the whole extraction under several
PYTHONHASHSEED values: the table may not depend on set or dict order anywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.bench import base_articles, varied
from pipeline.corpus import Article, format_article, read_article

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = Path(sys.executable).with_name("claims")  # the console script `pip install` made
COPIES = 3  # 3 x 15 articles: three batches of the default batch_size (16)
STATES = ("first run", "all cached", "one article changed", "one article added")


def claims(*args: str, cwd: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    assert CLAIMS.exists(), f"{CLAIMS}: the console script is not installed (pip install -e .)"
    return subprocess.run([str(CLAIMS), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def corpus45(tmp_path_factory) -> Path:
    """The seeds and the synthetic articles, three varied copies each (numbers shifted,
    paragraphs shuffled): 45 articles, three batches."""
    folder = tmp_path_factory.mktemp("c45") / "corpus"
    folder.mkdir()
    for copy in range(COPIES):
        for art in base_articles():
            v = varied(art, copy)
            (folder / f"{v.article_id}_{copy}.txt").write_text(format_article(v), encoding="utf-8")
    return folder


def evolve(corpus: Path, state: str) -> None:
    """Bring a copy of the corpus into the next state of its life."""
    if state == "one article changed":
        path = sorted(corpus.glob("*.txt"))[20]
        art = read_article(path)
        body = art.body + "\nIn March 2024 deminers destroyed 4,321 anti-tank mines near the border.\n"
        path.write_text(format_article(Article(art.article_id, body, art.meta)), encoding="utf-8")
    elif state == "one article added":
        body = "Teams cleared 1,234 hectares and removed 567 unexploded bombs in 2023, the agency said.\n"
        new = Article("zz_added", body, {"published": "2024-02-10", "title": "An added article"})
        (corpus / "zz_added.txt").write_text(format_article(new), encoding="utf-8")


@pytest.fixture(scope="module")
def references(corpus45, tmp_path_factory) -> dict[str, bytes]:
    """The table of each state by `--jobs 1 --no-cache`: one process, nothing cached."""
    work = tmp_path_factory.mktemp("ref")
    corpus = work / "corpus"
    shutil.copytree(corpus45, corpus)
    out = {}
    for state in STATES:
        evolve(corpus, state)
        ok(claims("extract", "--corpus", str(corpus), "--out", str(work / "ref.csv"), "--jobs", "1", "--no-cache", cwd=work))
        out[state] = (work / "ref.csv").read_bytes()
    assert out["one article changed"] != out["all cached"] != out["one article added"]
    return out


@pytest.mark.parametrize(
    "flags",
    [[], ["--jobs", "2"], ["--scheduler", "local"]],
    ids=["default flags", "jobs 2", "scheduler local"],
)
def test_extract_through_a_corpus_life_matches_one_job_uncached(flags, corpus45, references, tmp_path):
    corpus = tmp_path / "corpus40"
    shutil.copytree(corpus45, corpus)
    out = tmp_path / "out" / "claims.csv"
    n = len(list(corpus.glob("*.txt")))
    expected_cached = {"first run": 0, "all cached": n, "one article changed": n - 1, "one article added": n}
    for state in STATES:
        evolve(corpus, state)
        proc = ok(claims("extract", "--corpus", str(corpus), "--out", str(out), *flags, cwd=tmp_path))
        assert out.read_bytes() == references[state], f"{state}: table differs from --jobs 1 --no-cache"
        cached = expected_cached[state]
        assert (f"({cached} from cache)" in proc.stdout) if cached else ("from cache" not in proc.stdout), (state, proc.stdout)


def test_extract_with_defaults_in_a_project_folder(tmp_path):
    """`claims extract` with no flags at all reads corpus/ and writes outputs/claims.csv."""
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    proc = ok(claims("extract", cwd=tmp_path))
    table = pd.read_csv(tmp_path / "outputs" / "claims.csv", dtype=str, keep_default_na=False)
    assert "articles: 5" in proc.stdout and len(table) > 20
    assert (tmp_path / "outputs" / "cache.sqlite").exists()
    again = ok(claims("extract", cwd=tmp_path))
    assert "(5 from cache)" in again.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A user's project folder: the corpus and the regression gold where the README puts
    them, and an extracted table."""
    work = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "corpus", work / "corpus")
    (work / "tests" / "regression").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "regression" / "gold.csv", work / "tests" / "regression" / "gold.csv")
    ok(claims("extract", cwd=work))
    return work


def test_eval_with_defaults(project):
    proc = ok(claims("eval", cwd=project))
    first = proc.stdout.splitlines()[1].split()
    assert first[0] == "claim" and float(first[3]) >= 0.9, proc.stdout
    assert "missed (in gold, not matched)" in proc.stdout


def test_check_with_defaults(project):
    proc = ok(claims("check", cwd=project))
    findings = pd.read_csv(project / "outputs" / "conflicts.csv", dtype=str, keep_default_na=False)
    assert f"{len(findings)} finding(s)" in proc.stdout
    assert {"rule", "location", "metric", "claim_id_a", "claim_id_b"} <= set(findings.columns)


def test_report_with_defaults(project):
    proc = ok(claims("report", cwd=project))
    page = (project / "outputs" / "report.html").read_text(encoding="utf-8")
    assert "report:" in proc.stdout and "<svg" in page or "vegaEmbed" in page
    table = pd.read_csv(project / "outputs" / "claims.csv", dtype=str, keep_default_na=False)
    assert all(sentence.split()[0] in page for sentence in table["sentence"].head(5))


def test_ingest_with_defaults(tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("Deminers destroyed 310 anti-personnel mines in the province last month.\n", encoding="utf-8")
    proc = ok(claims("ingest", "story.txt", "--published", "2024-03-02", "--outlet", "Daily News", cwd=tmp_path))
    files = list((tmp_path / "corpus").glob("*.txt"))
    assert len(files) == 1 and "added story.txt" in proc.stdout
    assert read_article(files[0]).published == "2024-03-02"
    again = claims("ingest", "story.txt", "--published", "2024-03-02", cwd=tmp_path)
    assert again.returncode == 1 and "already in corpus" in again.stderr
    ok(claims("extract", cwd=tmp_path))
    table = pd.read_csv(tmp_path / "outputs" / "claims.csv", dtype=str, keep_default_na=False)
    assert list(table["value"]) == ["310"]


def test_bench_smallest_size(tmp_path):
    proc = ok(claims("bench", "--sizes", "1", cwd=tmp_path, timeout=900))
    report = json.loads((tmp_path / "outputs" / "bench.json").read_text(encoding="utf-8"))
    assert report["sizes"]["1x"]["articles"] >= 15 and report["jobs"]["identical_output"]
    assert "words/s" in proc.stdout or "w/s" in proc.stdout


# -- the same table under every hash seed ----------------------------------------------------
SEEDS = ("0", "1", "2", "3", "4", "5", "6", "7")
# Wordings where quantulum3 finds a unit symbol or name that several units share ("ha",
# "¥", "pounds", "tons", "X", "C", "a"): its choice must not follow the hash seed.
ODD_WORDINGS = """Doctors took an X-ray of the boy, and teams destroyed 12 mines and an X-ray machine in 2023.
Operators cleared 640 ha of farmland and 12 ha of forest near the river.
Japan gave ¥500 million to the demining centre, and ¥ 20 million more in kind.
The charity sent 300 pounds of equipment and 45 pounds sterling per volunteer.
Trucks hauled 20 tons of scrap metal and 3 tonnes of ammunition away.
Temperatures reached 45 C as the teams worked 10 h a day; 7 K-9 units searched the verge.
The blast left a crater 2 m wide, and 4 a.m. patrols found 9 mines within 30 s of the road.
A 5 kb file listed 18 Gy of exposure, 14 p of notes, and 60 F-16 sorties.
Deminers found 2 kt of explosives; 3 pm briefings covered 25 cal rounds and 11 g of TNT.
"""


@pytest.fixture(scope="module")
def odd_corpus(tmp_path_factory) -> Path:
    """The seeds, the synthetic articles, every case sentence (one article per case file)
    and the odd wordings above."""
    folder = tmp_path_factory.mktemp("odd") / "corpus"
    folder.mkdir()
    for src in [ROOT / "corpus", ROOT / "tests" / "regression" / "synthetic"]:
        for p in sorted(src.glob("*.txt")):
            shutil.copy(p, folder / p.name)
    for p in sorted((ROOT / "tests" / "cases").glob("*.yaml")):
        body = "\n".join(c["text"] for c in yaml.safe_load(p.read_text(encoding="utf-8"))) + "\n"
        art = Article(f"cases_{p.stem}", body, {"published": "2024-06-15"})
        (folder / f"{art.article_id}.txt").write_text(format_article(art), encoding="utf-8")
    art = Article("odd_wordings", ODD_WORDINGS, {"published": "2024-01-01"})
    (folder / "odd_wordings.txt").write_text(format_article(art), encoding="utf-8")
    return folder


def test_table_does_not_depend_on_the_hash_seed(odd_corpus, tmp_path):
    def run(seed: str) -> bytes:
        out = tmp_path / f"seed{seed}.csv"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        ok(claims("extract", "--corpus", str(odd_corpus), "--out", str(out), "--all", "--jobs", "1", "--no-cache", "-q", cwd=tmp_path, env=env))
        return out.read_bytes()

    with ThreadPoolExecutor(max_workers=2) as pool:
        tables = dict(zip(SEEDS, pool.map(run, SEEDS)))
    differ = [s for s in SEEDS if tables[s] != tables[SEEDS[0]]]
    assert not differ, f"PYTHONHASHSEED {differ} give another table than {SEEDS[0]}"
    table = pd.read_csv(tmp_path / f"seed{SEEDS[0]}.csv", dtype=str, keep_default_na=False)
    odd = table[table["article_id"] == "odd_wordings"]
    # the hectare is read as a hectare, whatever the seed
    assert set(odd[odd["unit"] == "hectare"]["value"]) == {"640", "12"}
