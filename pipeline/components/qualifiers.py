"""Step 3: how the article hedges each figure.

A hedge from models/cues.yaml must stand right before the figure ("nearly 140,000"),
right after it ("1,000 or more"), or head a coordinated list the figure is in
("nearly 30 years and $25 billion"). The figure's span grows to take the hedge in, so
the surface reads as written. The two ends of a range are bounds whatever the hedge.
"""

from __future__ import annotations

from dataclasses import replace

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..domain import Domain, load_domain
from .claim import Claim, claim_spans, set_claims
from .index import sent_of
from .syntax import children, number_token


def _phrases(table: dict[str, tuple[str, ...]]) -> list[tuple[list[str], str]]:
    out = []
    for qualifier, phrases in table.items():
        for p in phrases:
            out.append((p.lower().replace("-", " - ").split(), qualifier))
            if p.endswith(".") and len(p) > 1:
                out.append((p[:-1].lower().replace("-", " - ").split() + ["."], qualifier))  # "approx ." as tokenized
    # longest first, so "more than" wins over "than" and "just under" over "under"
    return sorted(out, key=lambda x: -len(x[0]))


def hedge_before(span: Span, table: list[tuple[list[str], str]], max_words: int, not_after: frozenset[str] = frozenset()) -> tuple[str, int]:
    """(qualifier, first token index of the hedge) or ("", span.start)."""
    doc = span.doc
    start = span.start
    sent_start = sent_of(span).start
    # a currency sign or "US" before the number belongs to the figure already
    words = []
    i = start - 1
    while i >= sent_start and len(words) < max_words:
        words.insert(0, doc[i].lower_)
        i -= 1
    for phrase, qualifier in table:
        n = len(phrase)
        if n <= len(words) and words[len(words) - n :] == phrase:
            if any(doc[i].dep_ == "prt" for i in range(start - n, start)):
                continue  # "handed over 75 hectares": a verb's particle, not a hedge
            before = doc[start - n - 1] if start - n - 1 >= sent_start else None
            if before is not None and before.lemma_.lower() in not_after:
                continue  # "spread over 312 minefields": a preposition after a verb of extent
            if before is not None and (before.like_num or before.lower_ in ("million", "billion", "thousand", "bn", "m")) and n == 1:
                continue  # "NOK 60 million over three years": "over" after a figure is a preposition
            return qualifier, start - n
    return "", start


def hedge_after(span: Span, table: list[tuple[list[str], str]]) -> tuple[str, int]:
    doc = span.doc
    words = [t.lower_ for t in doc[span.end : min(span.end + 4, sent_of(span).end)]]
    # "1,000 or more mines" / "300-plus"
    for phrase, qualifier in table:
        n = len(phrase)
        if words[:n] == phrase:
            return qualifier, span.end + n
    return "", span.end


def _without_conjuncts(tok):
    """A token and its subtree without the coordinated items after it: the first item of a
    list, not the hedge of its last ("3,914 mines, 41 mines and more than 9,600 items")."""
    yield tok
    for c in children(tok):
        if c.dep_ not in ("conj", "cc", "appos"):
            yield from _without_conjuncts(c)


@Language.factory("claim_qualifiers", default_config={"models_dir": None, "max_words": 4})
def make_qualifiers(nlp: Language, name: str, models_dir: str | None, max_words: int):
    return QualifierFinder(load_domain(models_dir), max_words)


class QualifierFinder:
    def __init__(self, domain: Domain, max_words: int):
        self.before = _phrases(domain.qualifiers)
        self.after = _phrases(domain.qualifiers_after)
        self.not_after = frozenset(w.lower() for w in domain.date_cues.get("hedge_is_preposition_after", ()))
        self.max_words = max_words

    def __call__(self, doc: Doc) -> Doc:
        spans = claim_spans(doc)
        direct: dict[int, str] = {}
        grown: dict[int, Span] = {}
        for k, span in enumerate(spans):
            q, start = hedge_before(span, self.before, self.max_words, self.not_after)
            end = span.end
            if not q:
                q, end = hedge_after(span, self.after)
            # never grow over the figure before it
            if k and start < spans[k - 1].end:
                q, start, end = "", span.start, span.end
            direct[k] = q
            grown[k] = Span(doc, start, end) if q else span
        # a hedge heading a coordinated list covers the figures in it
        by_token = {t.i: k for k, s in enumerate(spans) for t in s}
        heads: dict[int, str] = {}
        pairs = []
        for k, span in enumerate(spans):
            claim: Claim = span._.claim
            q = direct[k]
            if not q:
                q = self._inherited(span, by_token, direct, heads)
            if claim.bound:
                q = claim.bound
            new = grown[k]
            pairs.append((new, replace(claim, qualifier=q or "exact")))
        set_claims(doc, pairs)
        return doc

    @staticmethod
    def _inherited(span: Span, by_token: dict[int, int], direct: dict[int, str], heads: dict[int, str]) -> str:
        """The hedge of the list the figure is an item of; `heads` keeps each list head's,
        found once (every item of a long list asks)."""
        tok = number_token(span)
        # climb to the noun phrase the figure heads ("$25 billion" -> "billion")
        while tok.dep_ in ("nummod", "quantmod", "compound") and tok.head.i != tok.i:
            tok = tok.head
        if tok.dep_ not in ("conj", "appos"):
            return ""
        first = tok.head
        # "nearly 300 AP mines, 120 AT mines and 45 submunitions": the head of the whole list
        while first.dep_ in ("conj", "appos") and first.head.i != first.i:
            first = first.head
        if children(tok, "acl", "relcl") or children(first, "acl", "relcl"):
            return ""  # "over 30,000 killed and one million expelled": two clauses, not a list
        if first.i not in heads:
            own = [first] + children(first, "nummod", "quantmod", "compound", "advmod")
            found = (by_token.get(t.i) for o in own for t in _without_conjuncts(o))
            heads[first.i] = next((direct[k] for k in found if k is not None and direct.get(k)), "")
        return heads[first.i]
