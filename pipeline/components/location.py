"""Step 4: where each figure is about.

The nearest place in the sentence by the dependency parse (spaCy GPE/LOC entities and
the names in models/places.yaml) (a place that governs or
modifies the figure's clause is nearer than one in another clause), else the article's
dominant place, else nothing. Places are spaCy GPE/LOC entities.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import replace

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from ..domain import Domain, load_domain
from .claim import claim_spans, set_claims
from .index import doc_index
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


def dominant_place(places: list[Span]) -> str:
    """The place an article names most often (ties: the one named first)."""
    counts = Counter(place_name(e) for e in places)
    counts.pop("", None)
    if not counts:
        return ""
    best = max(counts.values())
    for e in places:
        if counts.get(place_name(e)) == best:
            return place_name(e)
    return ""


@Language.factory("claim_location", default_config={"labels": ["GPE", "LOC"], "models_dir": None})
def make_location(nlp: Language, name: str, labels: list[str], models_dir: str | None):
    return LocationFinder(nlp, tuple(labels), load_domain(models_dir))


class LocationFinder:
    def __init__(self, nlp: Language, labels: tuple[str, ...], domain: Domain):
        self.labels = labels
        self.matcher = PhraseMatcher(nlp.vocab)
        self.matcher.add("PLACE", [nlp.make_doc(p) for p in domain.places])

    def places(self, doc: Doc) -> list[Span]:
        """spaCy's places, with the gazetteer's names winning where they overlap."""
        found = [Span(doc, s, e, label="GPE") for _, s, e in self.matcher(doc)]
        found = filter_spans(found)
        taken = {t for sp in found for t in range(sp.start, sp.end)}
        for e in doc.ents:
            if e.label_ in self.labels and not any(t in taken for t in range(e.start, e.end)):
                found.append(e)
        return sorted(found, key=lambda sp: sp.start)

    def __call__(self, doc: Doc) -> Doc:
        all_places = self.places(doc)
        starts = [e.start for e in all_places]
        doc._.place = dominant_place(all_places)
        index = doc_index(doc)
        in_sentence: dict[int, list[Span]] = {}  # sentence start -> its places, found once
        pairs = []
        for span in claim_spans(doc):
            sent = index.sent(span.start)
            if sent.start not in in_sentence:
                near = all_places[bisect_left(starts, sent.start) : bisect_left(starts, sent.end)]
                in_sentence[sent.start] = [e for e in near if e.end <= sent.end and place_name(e)]
            places = in_sentence[sent.start]
            where = doc._.place
            if places:
                best = min(places, key=lambda e: (tree_distance(number_token(span), e.root), abs(e.start - span.start)))
                where = place_name(best)
            pairs.append((span, replace(span._.claim, location=where)))
        set_claims(doc, pairs)
        return doc
