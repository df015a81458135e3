"""Step 0: sentences as pages write them, before the parser reads them.

News pages and bulletins are not all prose: a headline or a section title stands on its
own line without a full stop, list items start with a bullet, a dateline is joined to the
first sentence by a dash ("KYIV, March 3 (Agency) -- Teams cleared ..."), and wire copy
joins two sentences with a spaced dash. This step marks those sentence starts (and that
the word after a bullet is not one) so that the parser, which keeps marks set before it,
splits there. Offsets never change: only token flags are set.

The marks (bullets, dashes) are in models/cues.yaml under `layout`.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from ..domain import Domain, load_domain
from .claim import ensure_extensions
from .index import DocIndex, doc_index, doc_text

ENDS_SENTENCE = re.compile(r"[.!?:;\"'”’)]\s*$")
SECTION = re.compile(r"^\d{1,2}(?:\.\d{1,2})+\.?$")
NUMBERED = re.compile(r"^(?:\(?\d{1,2}[.)]|\(?[a-z][.)]|\([ivx]{1,4}\))$")
NOT_A_START = 2**64 - 1  # -1, "not a sentence start", as Doc.to_array writes it (unsigned)


@Language.factory("claim_sentences", default_config={"models_dir": None})
def make_sentences(nlp: Language, name: str, models_dir: str | None):
    return SentenceMarker(load_domain(models_dir))


def line_start(tok: Token) -> bool:
    """The first word of a line (spaces before it allowed)."""
    text = doc_text(tok.doc)
    i = tok.idx - 1
    while i >= 0 and text[i] in " \t\u00a0":
        i -= 1
    return i < 0 or text[i] == "\n"


def _text_before(text: str, idx: int, n: int) -> str:
    """The last `n` characters before `idx`, past the spaces and line breaks right before it
    (what `text[:idx].rstrip()` ends with, without copying the whole text for each token)."""
    i = idx
    while i > 0 and text[i - 1].isspace():
        i -= 1
    return text[max(0, i - n) : i]


def item_line(sent: Span) -> bool:
    """A sentence on a line that starts with a bullet: a list item, or the rest of one after
    a dash ("- 18 teams were in the field - some 260 staff in all"); a line that ends with a
    colon introduces a list ("📊 Since 2022, the teams have:"), whatever it starts with.
    Worked out once per sentence: the steps ask for every figure and every list item."""
    index = doc_index(sent.doc)
    return index.memo(("item_line", sent.start, sent.end), lambda: _item_line(sent, index))


def _item_line(sent: Span, index: DocIndex) -> bool:
    if index.span_text(sent).rstrip().endswith(":"):
        return False
    first = sent.doc.char_span(index.line_start(sent.start_char), sent.end_char, alignment_mode="expand")
    if first is None:
        return bool(sent[0]._.bullet)
    lead = next((t for t in first if not t.is_space), None)
    return bool(lead is not None and lead._.bullet)


def opens_with(sent: Span, phrases: tuple[str, ...]) -> bool:
    """The sentence (past a bullet or a quote) starts with one of these phrases, lower case:
    "Of these, 29 were shells", "Including 12 children"."""
    index = doc_index(sent.doc)
    start = index.memo(("opening", sent.start, sent.end), lambda: index.span_text(sent).lower().lstrip(" -•*\"'“‘"))
    return any(start.startswith(w + " ") or start.startswith(w + ",") for w in phrases)


class SentenceMarker:
    def __init__(self, domain: Domain):
        layout = domain.layout
        self.bullets = frozenset(layout.get("bullets", ()))
        self.dashes = frozenset(layout.get("dashes", ()))
        # "Rs. 520 million", "S/. 4 million": a currency's full stop ends no sentence
        symbols = [s for spec in domain.currencies.values() for s in spec["before"]]
        symbols += [s for shared in domain.shared_currencies for s in shared.before]
        self.currency_ends = tuple(sorted({s for s in symbols if s.endswith(".")}))
        self.currency_width = max((len(s) for s in self.currency_ends), default=0)
        # "(approx. USD 920,000)": an abbreviation's full stop ends no sentence
        self.scale_words = frozenset(w.lower() for w in domain.number_words.get("scales", {}))  # "2.5 Million"
        self.abbreviations = frozenset(w.lower().rstrip(".") for w in layout.get("abbreviations", ()))

    def is_bullet(self, tok: Token) -> bool:
        """"-", "•", "2.", "a)", and any sign that is not a word, a number, a bracket, a
        quote or money ("🔸", "▪️", "✅")."""
        if tok.text in self.bullets or NUMBERED.match(tok.text):
            return True
        nxt = tok.doc[tok.i + 1] if tok.i + 1 < len(tok.doc) else None
        if tok.text.isdigit() and len(tok.text) <= 2 and not tok.whitespace_ and nxt is not None and nxt.text in (".", ")") and nxt.whitespace_:
            return True  # "2. Casualties", the tokenizer having split "2."
        if SECTION.match(tok.text) and nxt is not None and nxt.is_alpha and nxt.text[0].isupper() and nxt.lower_ not in self.scale_words:
            return True  # "2.3 Victims and risk education": a section number
        return all(not c.isalnum() and c not in "\"'“”‘’([{$€£¥₹₴₼%#@&" for c in tok.text) and not tok.is_punct

    def paired(self, dash: Token) -> bool:
        """"About 30% of the territory — roughly 9 400 km² — is mined": two spaced dashes of
        the same kind on one line, close together, enclose an aside."""
        text = doc_text(dash.doc)
        # the line's ends, looked for only as far as an aside may reach
        line_end = text.find("\n", dash.idx, dash.idx + 120)
        line_end = min(len(text), dash.idx + 120) if line_end < 0 else line_end
        line_start = text.rfind("\n", max(0, dash.idx - 120), dash.idx) + 1
        mark = f" {dash.text} "
        before = text.rfind(mark, max(line_start, dash.idx - 120), dash.idx)
        after = text.find(mark, dash.idx + 1, line_end)
        return before >= 0 or after >= 0

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        starts: dict[int, bool] = {}  # token -> whether it starts a sentence, set at the end
        blank_ends = [e for _s, e in doc._.blanks]
        blank_starts = [s for s, _e in doc._.blanks]
        after_blank = False
        for tok in doc:
            if tok.is_space:
                # a sentence left blank (pipeline.selection) is a sentence of its own, and so
                # is what follows it: neither joins the sentences that are read
                k = bisect_right(blank_starts, tok.idx + len(tok.text) - 1) - 1
                if k >= 0 and blank_ends[k] > tok.idx:
                    if not after_blank:
                        starts[tok.i] = True
                    after_blank = True
                continue
            if after_blank:
                starts[tok.i] = True
                after_blank = False
            if tok.like_num and tok.i > 0 and _text_before(text, tok.idx, self.currency_width).endswith(self.currency_ends):
                starts[tok.i] = False
                continue
            nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
            # "approx. USD", tokenized "approx" "." or "approx."
            abbreviation = tok.lower_.rstrip(".") in self.abbreviations and tok.text.endswith(".") or (
                tok.text == "." and tok.i > 0 and doc[tok.i - 1].lower_ in self.abbreviations and not doc[tok.i - 1].whitespace_
            )
            if abbreviation and nxt is not None and not nxt.is_space and not line_start(nxt):
                starts[nxt.i] = False
            if line_start(tok):
                prev_line = _text_before(text, tok.idx, 1)
                bullet = self.is_bullet(tok) and nxt is not None and not nxt.is_space
                # a hard-wrapped line that goes on with a small letter continues its sentence
                wrapped = prev_line and not ENDS_SENTENCE.search(prev_line) and tok.text[:1].islower()
                if tok.i > 0 and (bullet or not wrapped):
                    starts[tok.i] = True
                if bullet:
                    tok._.bullet = True
                    starts[nxt.i] = False
                continue
            # "Sarajevo, 16 November 2023 – The European Union ...", "... 8 wounded - nine of
            # the 11 victims": a spaced dash before a word starts a sentence; "1 July – 30
            # September" and "5 - 7 million" join two numbers and do not
            if tok.text in self.dashes and tok.i > 0 and nxt is not None and tok.whitespace_ and doc[tok.i - 1].whitespace_:
                if nxt.is_alpha and not doc[tok.i - 1].is_space and not self.paired(tok):
                    starts[nxt.i] = True
        set_sentence_starts(doc, starts)
        return doc


def set_sentence_starts(doc: Doc, starts: dict[int, bool]) -> None:
    """Mark these tokens as starting a sentence or not, all in one go: spaCy's
    ``token.is_sent_start = ...`` looks through the whole doc for a parse each time, which
    costs the square of the article's length."""
    if not starts:
        return
    marks = doc.to_array(SENT_START)
    for i, start in starts.items():
        marks[i] = 1 if start else NOT_A_START
    doc.from_array(SENT_START, marks)



ensure_extensions()
