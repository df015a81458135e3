"""Step 4: where each figure is about.

The nearest place in the sentence by the dependency parse (a place that governs or
modifies the figure's clause is nearer than one in another clause), else the article's
dominant place, else nothing. Places are spaCy GPE/LOC entities.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from .claim import claim_spans, set_claims
from .syntax import number_token


def place_name(ent: Span) -> str:
    """'Azerbaijan’s' -> 'Azerbaijan'; 'the Karabakh' -> 'Karabakh'."""
    text = ent.text.strip()
    for suffix in ("’s", "'s", "’", "'"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    if text.lower().startswith("the "):
        text = text[4:]
    return text.strip()


def tree_distance(a: Token, b: Token) -> int:
    """Edges between two tokens in the dependency tree."""
    up_a = {a.i: 0}
    t, d = a, 0
    while t.head.i != t.i:
        t, d = t.head, d + 1
        up_a[t.i] = d
    t, d = b, 0
    while True:
        if t.i in up_a:
            return up_a[t.i] + d
        if t.head.i == t.i:
            return 99
        t, d = t.head, d + 1


def dominant_place(doc: Doc, labels: tuple[str, ...]) -> str:
    counts = Counter(place_name(e) for e in doc.ents if e.label_ in labels)
    counts.pop("", None)
    if not counts:
        return ""
    best = max(counts.values())
    # ties go to the place named first
    for e in doc.ents:
        if e.label_ in labels and counts.get(place_name(e)) == best:
            return place_name(e)
    return ""


@Language.factory("claim_location", default_config={"labels": ["GPE", "LOC"]})
def make_location(nlp: Language, name: str, labels: list[str]):
    return LocationFinder(tuple(labels))


class LocationFinder:
    def __init__(self, labels: tuple[str, ...]):
        self.labels = labels

    def __call__(self, doc: Doc) -> Doc:
        doc._.place = dominant_place(doc, self.labels)
        pairs = []
        for span in claim_spans(doc):
            places = [e for e in span.sent.ents if e.label_ in self.labels and place_name(e)]
            where = doc._.place
            if places:
                best = min(places, key=lambda e: (tree_distance(number_token(span), e.root), abs(e.start - span.start)))
                where = place_name(best)
            pairs.append((span, replace(span._.claim, location=where)))
        set_claims(doc, pairs)
        return doc
