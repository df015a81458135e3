import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.extract import build_nlp


ROOT = Path(__file__).resolve().parent.parent


def run_claims(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """The `claims` command as a user runs it."""
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


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
                "date_basis": "stated",
                "period_start": str(c.get("period_start", "")),
                "surface": surface,
                "sentence": sentence,
                "start": c.get("start", sentence.index(surface)),
                "end": c.get("start", sentence.index(surface)) + len(surface),
                "published": str(c["date"]),
                "location": c.get("location", "Freedonia"),
            }
        )
    return pd.DataFrame(rows)
