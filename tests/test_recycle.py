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


@pytest.mark.parametrize(
    "sizes, size, max_weight, expected",
    [
        ([1, 1, 1, 1, 1], 2, 0, [[1, 1], [1, 1], [1]]),  # by count only
        ([3, 3, 3, 3], 16, 7, [[3, 3], [3, 3]]),  # the weight ends a batch first
        ([2, 9, 2, 2], 16, 5, [[2], [9], [2, 2]]),  # a heavy item is a batch alone
        ([1, 1, 1], 2, 100, [[1, 1], [1]]),  # the count still ends it
        ([], 4, 10, []),
    ],
)
def test_batches_end_at_a_count_or_a_weight(sizes, size, max_weight, expected):
    from pipeline.batches import batched

    assert list(batched(sizes, size, weight=lambda x: x, max_weight=max_weight)) == expected


def test_batch_chars_do_not_change_the_table(tmp_path, nlp):
    """Batches cut by characters (models/pipeline.cfg `batch_chars`) give the same table."""
    models = tmp_path / "models"
    shutil.copytree(DEFAULT_MODELS_DIR, models)
    cfg = models / "pipeline.cfg"
    text = cfg.read_text(encoding="utf-8")
    assert "batch_chars = 50000" in text
    cfg.write_text(text.replace("batch_chars = 50000", "batch_chars = 3000"), encoding="utf-8")
    once = extract_corpus(ROOT / "corpus", nlp=nlp).table
    small = extract_corpus(ROOT / "corpus", models_dir=models).table
    assert small.equals(once)
