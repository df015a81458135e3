"""The claim attached to each span, and the Doc/Span extensions the components share."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

CLAIMS_KEY = "claims"


@dataclass(frozen=True)
class Claim:
    value: float
    unit: str
    kind: str
    metric: str = "other"
    qualifier: str = "exact"
    date: str = ""
    date_basis: str = ""
    period_start: str = ""
    location: str = ""  # the country (ISO 3166 English short name)
    region: str = ""  # the sub-national place, when the text gives one
    # set by the quantities step for the two ends of a range ("between 2 and 3 million")
    bound: str = ""
    # why the figure is not a claim, when the metrics step decided so (kept for --all)
    reason: str = ""
    # what dated the figure in its own sentence ("date", "since"), and the token where the
    # "since" phrase it took starts (-1: none); the document-context step reads both
    dated_by: str = ""
    since_at: int = -1
    date_at: int = -1  # the token where the phrase that dated it starts
    # metrics the figure also counts under ("22 were girls": children and women); a span
    # holds one claim, so the table writes one row per metric
    also: tuple[str, ...] = ()


def ensure_extensions() -> None:
    """Register the extensions once per process (idempotent)."""
    if not Span.has_extension("claim"):
        Span.set_extension("claim", default=None)
    if not Token.has_extension("bullet"):
        Token.set_extension("bullet", default=False)  # a list item's marker ("-", "•", "2.")
    for name in ("published", "article_id", "place", "title", "outlet"):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default="")
    for name in ("claim_text", "claim_index"):  # the joined text and the lookups of index.py
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)
    # the article's body and the sentences of it left blank for the parser (pipeline.selection)
    if not Doc.has_extension("body"):
        Doc.set_extension("body", default=None)
    if not Doc.has_extension("blanks"):
        Doc.set_extension("blanks", default=())


def claim_spans(doc: Doc) -> list[Span]:
    """The claim spans of a doc, in text order."""
    if CLAIMS_KEY not in doc.spans:
        return []
    return sorted(doc.spans[CLAIMS_KEY], key=lambda s: (s.start_char, s.end_char))


def set_claims(doc: Doc, pairs: list[tuple[Span, Claim]]) -> None:
    """Replace the doc's claims with these (span, claim) pairs."""
    spans = []
    for span, claim in sorted(pairs, key=lambda p: (p[0].start_char, p[0].end_char)):
        span._.claim = claim
        spans.append(span)
    doc.spans[CLAIMS_KEY] = spans


ensure_extensions()
