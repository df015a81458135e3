"""Workers (and a run's own pipeline) built afresh after `recycle_batches` batches give
the same table as one pipeline for the whole run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.domain import DEFAULT_MODELS_DIR
from pipeline.extract import extract_corpus

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("jobs", [1, 2])
def test_recycled_pipelines_give_the_same_table(jobs, tmp_path, nlp):
    models = tmp_path / "models"
    shutil.copytree(DEFAULT_MODELS_DIR, models)
    cfg = models / "pipeline.cfg"
    text = cfg.read_text(encoding="utf-8")
    assert "recycle_batches = 100" in text and "batch_size = 16" in text
    cfg.write_text(text.replace("recycle_batches = 100", "recycle_batches = 1").replace("batch_size = 16", "batch_size = 2"), encoding="utf-8")
    once = extract_corpus(ROOT / "corpus", nlp=nlp).table
    recycled = extract_corpus(ROOT / "corpus", models_dir=models, jobs=jobs).table
    assert recycled.equals(once)
