"""Lookups over one parsed article, built once per article.

spaCy answers some questions by walking: ``doc.text`` joins every token each time it is
read, ``sent.ents`` scans every entity of the article, a sentence's text or words are read
token by token. Asked once per figure or per token, each makes an article's time grow
with the square of its length, or of its longest sentence (a table of numbers is one
sentence). The steps ask here instead: the text is joined once, the sentences, their
entities and whatever a step works out per sentence are kept for the article.

The index is built on first use after the parser and the entity recognizer; the claim
steps after them move no sentence boundary and no entity, so it stays true.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Callable, Hashable, TypeVar

from spacy.tokens import Doc, Span

from .claim import ensure_extensions

T = TypeVar("T")


# where spaCy keeps `doc._.claim_text` and `doc._.claim_index` (its Underscore keys for a
# Doc): the steps ask for them a hundred thousand times per thousand articles, and `doc._`
# builds an object per call
_TEXT_KEY = ("._.", "claim_text", None, None)
_INDEX_KEY = ("._.", "claim_index", None, None)


def doc_text(doc: Doc) -> str:
    """The article's text (``doc._.claim_text``), joined once (a doc's text never changes)."""
    text = doc.user_data.get(_TEXT_KEY)
    if text is None:
        text = doc.user_data[_TEXT_KEY] = doc.text
    return text


def remember_text(doc: Doc, text: str) -> None:
    """The text the doc was made from is its text (spaCy keeps every character): kept for
    doc_text, which would otherwise join every token's text again."""
    doc.user_data[_TEXT_KEY] = text


class DocIndex:
    """The sentences of an article, the sentence of each token, the entities of each
    sentence, and values worked out once per article (see :meth:`memo`)."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.text = doc_text(doc)
        self.sents: list[Span] = list(doc.sents)
        self.starts = [s.start for s in self.sents]
        self.ents: tuple[Span, ...] = tuple(doc.ents)
        self.ent_starts = [e.start for e in self.ents]
        self.ent_ends = [e.end_char for e in self.ents]
        self.newlines: list[int] | None = None
        self.blank_ends: list[int] | None = None  # the ends of the blank sentences (pipeline.selection)
        self._memo: dict[Hashable, object] = {}

    def sent_no(self, i: int) -> int:
        """The number of the sentence that holds token i."""
        return bisect_right(self.starts, i) - 1

    def sent(self, i: int) -> Span:
        """The sentence that holds token i (what ``doc[i].sent`` walks to)."""
        return self.sents[self.sent_no(i)]

    def ents_in(self, span: Span) -> list[Span]:
        """The entities inside a span, as ``span.ents`` gives them, found by bisection."""
        out = []
        for k in range(bisect_left(self.ent_starts, span.start), len(self.ents)):
            ent = self.ents[k]
            if ent.end > span.end:
                break
            out.append(ent)
        return out

    def ents_over(self, sent: Span, start_char: int, end_char: int) -> list[Span]:
        """The entities of a sentence (as ``sent.ents`` gives them) that share a character
        with [start_char, end_char), found by bisection."""
        out = []
        for k in range(bisect_right(self.ent_ends, start_char), len(self.ents)):
            ent = self.ents[k]
            if ent.start_char >= end_char:
                break
            if ent.start >= sent.start and ent.end <= sent.end:
                out.append(ent)
        return out

    def span_text(self, span: Span) -> str:
        """``span.text`` cut from the joined text."""
        return self.text[span.start_char : span.end_char]

    def hidden_text(self, span: Span) -> str:
        """What the body writes in the blank sentences inside a span (pipeline.selection):
        a blank sentence's words still count as the words before a figure."""
        body, blanks = self.doc._.body, self.doc._.blanks
        if not body or not blanks:
            return ""
        if self.blank_ends is None:
            self.blank_ends = [e for _s, e in blanks]  # blanks are in text order, apart
        out = []
        k = bisect_right(self.blank_ends, span.start_char)
        while k < len(blanks) and blanks[k][0] < span.end_char:
            out.append(body[blanks[k][0] : blanks[k][1]])
            k += 1
        return " ".join(out)

    def sent_text(self, i: int) -> str:
        """The text of the sentence that holds token i, without the line breaks after it, cut
        once per sentence (a sentence of a thousand figures is written on each of their rows)."""
        sent = self.sent(i)
        return self.memo(("text", sent.start), lambda: self.span_text(sent).rstrip())

    def line_start(self, char: int) -> int:
        """The offset where the line holding this character starts."""
        if self.newlines is None:
            self.newlines = [m.start() for m in re.finditer("\n", self.text)]
        k = bisect_left(self.newlines, char)
        return self.newlines[k - 1] + 1 if k else 0

    def memo(self, key: Hashable, make: Callable[[], T]) -> T:
        """`make()` worked out once per article under this key (a sentence's words, its
        opening, its verbs): a figure's step asks again for free."""
        try:
            return self._memo[key]  # type: ignore[return-value]
        except KeyError:
            value = self._memo[key] = make()
            return value


def doc_index(doc: Doc) -> DocIndex:
    """The article's index (``doc._.claim_index``), built on first use."""
    index = doc.user_data.get(_INDEX_KEY)
    if index is None:
        index = doc.user_data[_INDEX_KEY] = DocIndex(doc)
    return index


def release_index(doc: Doc) -> None:
    """Drop the article's index once the claims are read: it holds spans and tokens, which
    hold the doc, so a doc that kept it would wait for the garbage collector instead of
    being freed as soon as it is done with."""
    doc._.claim_index = None


def has_verb(sent: Span) -> bool:
    """Whether a sentence has a verb or an auxiliary (a heading or a list's intro has
    none), looked at once per sentence."""
    return doc_index(sent.doc).memo(("has_verb", sent.start), lambda: any(t.pos_ in ("VERB", "AUX") for t in sent))


def sent_of(span: Span) -> Span:
    """``span.sent``, looked up: the sentence that holds the span's first token."""
    return doc_index(span.doc).sent(span.start)


ensure_extensions()
