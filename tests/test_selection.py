"""Selective analysis (pipeline/selection.py): which sentences the parser reads, and that
reading only those gives the same claims as the full parse."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipeline.domain import DEFAULT_MODELS_DIR, load_domain
from pipeline.extract import extract_corpus
from pipeline.selection import Selector, blank, selector

HERE = Path(__file__).parent
CASES = yaml.safe_load((HERE / "selection" / "cases.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def chosen() -> Selector:
    found = selector(load_domain())
    assert found is not None, "models/pipeline.cfg should set analysis = \"selective\""
    return found


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_hidden_sentences(case, chosen):
    text = case["text"]
    assert [text[s:e] for s, e in chosen.hidden(text)] == case["hidden"]


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_blank_keeps_every_offset(case, chosen):
    text = case["text"]
    hidden = chosen.hidden(text)
    out = blank(text, hidden)
    assert len(out) == len(text)
    for k, (a, b) in enumerate(zip(text, out)):
        inside = any(s <= k < e for s, e in hidden)
        assert b == (a if not inside or a == "\n" else " ")


def test_full_parse_can_be_switched_back(tmp_path):
    models = tmp_path / "models"
    shutil.copytree(DEFAULT_MODELS_DIR, models)
    cfg = models / "pipeline.cfg"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('analysis = "selective"', 'analysis = "full"'), encoding="utf-8")
    assert selector(load_domain(models)) is None


@pytest.mark.parametrize("corpus", ["corpus", "tests/regression/synthetic", "tests/checks/corpus"])
def test_same_claims_as_the_full_parse(corpus, tmp_path, nlp):
    """The claims of the project's corpora, read selectively, are those of the full parse."""
    root = HERE.parent
    models = tmp_path / "models"
    shutil.copytree(DEFAULT_MODELS_DIR, models)
    cfg = models / "pipeline.cfg"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('analysis = "selective"', 'analysis = "full"'), encoding="utf-8")
    selective = extract_corpus(root / corpus, keep_other=True, nlp=nlp).table
    full = extract_corpus(root / corpus, models_dir=models, keep_other=True).table
    assert selective.drop(columns="claim_id").equals(full.drop(columns="claim_id"))
    assert (selective["claim_id"] == full["claim_id"]).all()


def test_index_and_text_are_the_doc_extensions(nlp):
    """doc_index and doc_text keep their values where spaCy keeps doc._.claim_index and
    doc._.claim_text (read straight from user_data for speed): a spaCy that stored
    extensions elsewhere would make the steps build them again for each call."""
    from pipeline.components.index import doc_index, doc_text

    doc = nlp("Deminers cleared 40 mines in Kharkiv. The work goes on.")
    assert doc._.claim_index is None or doc._.claim_index is doc_index(doc)
    index = doc_index(doc)
    assert doc._.claim_index is index and doc_index(doc) is index
    assert doc_text(doc) == doc.text and doc._.claim_text == doc.text
    from pipeline.corpus import Article
    from pipeline.nlp import make_doc

    body = "Deminers cleared 40 mines.\n\nThe weather was fine all week and the roads were open.\n\nIn May, 12 more were found."
    made = make_doc(nlp, Article("a", body, {"published": "2024-06-01"}))
    assert doc_text(made) == made.text and len(made.text) == len(body)
