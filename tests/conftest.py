import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.corpus import format_article, read_article
from pipeline.extract import build_nlp, extract_corpus
from pipeline.table import to_csv_text


ROOT = Path(__file__).resolve().parent.parent


def run_claims(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """The `claims` command as a user runs it."""
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def chromium() -> str:
    """Debian's headless Chromium: skipped where it is not installed, a failure in CI."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run installs the Debian package 'chromium'")
    pytest.skip("chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="session")
def nlp():
    """The project pipeline, built once per test session (loading spaCy takes seconds)."""
    return build_nlp()


def claims_table(claims: list[dict]) -> pd.DataFrame:
    """A contract claims table from short case rows; the case's id becomes the claim_id."""
    rows = []
    for i, c in enumerate(claims):
        value = c["value"]
        surface = str(c.get("surface", value))
        sentence = c.get("sentence", f"Case sentence {i} says {surface}.")
        rows.append(
            {
                "claim_id": c["id"],
                "article_id": c.get("article", f"art-{c['id']}"),
                "metric": c["metric"],
                "value": str(value),
                "unit": c.get("unit", "count"),
                "qualifier": c.get("qualifier", "exact"),
                "date": str(c["date"]),
                "date_basis": c.get("basis", "stated"),
                "period_start": str(c.get("period_start", "")),
                "surface": surface,
                "sentence": sentence,
                "start": c.get("start", sentence.index(surface)),
                "end": c.get("start", sentence.index(surface)) + len(surface),
                "published": str(c["date"]),
                "location": c.get("location", "Freedonia"),
                "region": c.get("region", ""),
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def big_corpus(tmp_path_factory) -> Path:
    """40 articles (several batches): the seeds and synthetic articles, copied under new ids."""
    folder = tmp_path_factory.mktemp("big") / "corpus"
    folder.mkdir()
    sources = sorted((ROOT / "corpus").glob("*.txt")) + sorted((ROOT / "tests" / "regression" / "synthetic").glob("*.txt"))
    for k in range(40):
        art = read_article(sources[k % len(sources)])
        (folder / f"copy{k:02d}_{art.article_id}.txt").write_text(format_article(art), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def plain(big_corpus, nlp) -> str:
    result = extract_corpus(big_corpus, nlp=nlp)
    assert result.articles == 40 and not result.failures
    return to_csv_text(result.table)
