"""The attribute rules looked up per token (components/attributes.py) give what spaCy's
attribute_ruler gives, token for token."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from pipeline.components.attributes import AttributeRules
from pipeline.corpus import read_article

ROOT = Path(__file__).resolve().parent.parent
OWN = [
    "I ain't sure they're gonna let's say finish, but y'all know we gotta try.",
    "There were 12 mines; there's no doubt nothin' was left and it's done.",
    "The teams haven't cleared the field  \n\n yet, and won't until May.",
]


@pytest.fixture(scope="module")
def base():
    from pipeline.domain import load_domain

    return spacy.load(load_domain().config["base"]["model"])


def texts() -> list[str]:
    paths = sorted((ROOT / "corpus").glob("*.txt")) + sorted((ROOT / "tests" / "regression" / "synthetic").glob("*.txt"))
    return [read_article(p).body for p in paths] + OWN


def test_same_attributes_as_the_attribute_ruler(base):
    rules = AttributeRules(base.get_pipe("attribute_ruler"))
    differ = []
    for text in texts():
        ruled = base(text)
        with base.select_pipes(disable=["attribute_ruler", "lemmatizer", "ner"]):
            looked_up = base(text)
        rules(looked_up)
        base.get_pipe("lemmatizer")(looked_up)
        for a, b in zip(ruled, looked_up):
            if (a.pos_, a.tag_, str(a.morph), a.lemma_) != (b.pos_, b.tag_, str(b.morph), b.lemma_):
                differ.append((a.text, a.pos_, b.pos_, a.lemma_, b.lemma_))
    assert differ == []


def test_build_swaps_the_ruler(nlp):
    assert "attribute_ruler" not in nlp.pipe_names
    assert nlp.pipe_names.index("attribute_rules") == nlp.pipe_names.index("lemmatizer") - 1
