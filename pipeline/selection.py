"""Step 0: the sentences the parser reads.

Most sentences of a news article hold no figure, and parsing them is most of the work
that is wasted. Before the spaCy doc is made, the body is split into sentences cheaply
(line breaks, and a full stop before a capital that ends no abbreviation); a sentence is
read when it can hold a claim (a number, in digits or in words) or when the document
context rules read it: a date or a period the figures after it take ("Since the end of
the war, ..."), a list's intro (a line that ends with a colon), and a heading, a list item
or a short sentence right before a figure. Every other sentence is replaced by spaces of its own length (line
breaks stay), so the tagger, the parser and the entity recognizer pass over it as one
blank token and every offset stays true to the body. What the steps read from the whole
article (its place, the words before a figure) they read from the body, kept on the doc
(``doc._.body``, ``doc._.blanks``).

The words are data: the number words of models/units.yaml, the time cues of
models/cues.yaml (`dates`) and its `selection` list; the switch is ``analysis`` in
models/pipeline.cfg ("selective", or "full" to parse every sentence).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .domain import Domain

# a sentence ends at a full stop, a question or an exclamation mark (and the quotes or
# brackets that close after it) before a space and a capital, a digit, a quote or a bullet
END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9•\-–—*])")
LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def word_before(line: str, dot: int) -> str:
    """The word a full stop at `dot` ends, from its first letter ("Mr", "U.S", "approx"), or
    "" when no letter stands right before it. Read backwards from the stop: a search from
    the line's start for each stop would cost the square of a long line's length."""
    if line[dot] != ".":
        return ""
    i = dot
    while i > 0 and (line[i - 1] in LETTERS or line[i - 1] == "."):
        i -= 1
    while i < dot and line[i] == ".":
        i += 1  # the word starts at a letter
    return line[i:dot]


def _alternation(phrases) -> str:
    words = sorted({p.lower() for p in phrases if p}, key=lambda p: (-len(p), p))
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in words)


class Selector:
    """Which sentences of a body are read (see the module docstring)."""

    def __init__(self, domain: Domain, before: int = 1, short: int = 12):
        numbers = [w for group in domain.number_words.values() for w in group]
        cues = domain.selection
        time_cues = [p for key in cues.get("date_cues", ()) for p in domain.date_cues.get(key, ())]
        read = numbers + list(cues.get("words", ())) + time_cues
        self.worth = re.compile(r"\d|(?<![\w-])(?:" + _alternation(read) + r")(?![\w])", re.IGNORECASE)
        self.number = re.compile(r"\d|(?<![\w-])(?:" + _alternation(numbers) + r")(?![\w])", re.IGNORECASE)
        self.abbreviations = frozenset(w.lower().rstrip(".") for w in (*domain.layout.get("abbreviations", ()), *cues.get("abbreviations", ())))
        self.before = before
        self.short = short

    def sentences(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each sentence, line breaks and the spaces between left out."""
        out: list[tuple[int, int]] = []
        for line in re.finditer(r"[^\n]+", text):
            start = line.start()
            for m in END.finditer(line.group(0)):
                word = word_before(line.group(0), m.start())
                if word and (len(word) == 1 or "." in word or word.lower() in self.abbreviations):
                    continue  # "Mr. Ali", "the U.S. Army", "approx. 20": no end
                end = line.start() + m.end()
                out.append((start, end))
                start = end
            out.append((start, line.end()))
        return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e) for s, e in out if text[s:e].strip()]

    def context(self, sentence: str) -> bool:
        """A sentence that may frame the figures after it: a heading, a list item or a short
        line (a full sentence with no number, no time word and no colon frames none)."""
        words = sentence.split()
        return len(words) <= self.short or not re.search(r"[.!?][\"'”’)]*\s*$", sentence)

    def hidden(self, text: str) -> list[tuple[int, int]]:
        """The sentences that are not read, as (start, end)."""
        spans = self.sentences(text)
        keep = [bool(self.worth.search(text, s, e)) or text[s:e].rstrip().endswith(":") for s, e in spans]
        numbers = [bool(self.number.search(text, s, e)) for s, e in spans]
        out = []
        for k, (s, e) in enumerate(spans):
            if keep[k]:
                continue
            if self.context(text[s:e]) and any(numbers[j] for j in range(k + 1, min(len(spans), k + 1 + self.before))):
                continue
            out.append((s, e))
        return out


def blank(text: str, hidden: list[tuple[int, int]]) -> str:
    """The text with these stretches turned into spaces (line breaks kept)."""
    if not hidden:
        return text
    parts = []
    at = 0
    for s, e in hidden:
        parts.append(text[at:s])
        parts.append(re.sub(r"[^\n]", " ", text[s:e]))
        at = e
    parts.append(text[at:])
    return "".join(parts)


@lru_cache(maxsize=8)
def selector(domain: Domain) -> Selector | None:
    """The domain's selector, or None when models/pipeline.cfg asks for the full parse."""
    nlp_cfg = domain.config["nlp"]
    if str(nlp_cfg.get("analysis", "full")) != "selective":
        return None
    settings = domain.config.get("selection", {})
    return Selector(domain, int(settings.get("before", 1)), int(settings.get("short", 12)))
