"""Numbers as the article writes them, turned into one plain form the readers share.

An article has its own conventions: a decimal comma ("874,6 hectares") and dots between
thousands ("1.102.300 m2", "28.915 mines"), spaces between thousands ("12 450"), numbers
in words or half in words ("four thousand and 27", "2 thousand 300", "half a million"),
units glued by hyphens ("a 2,740-sq-km zone"). :func:`reading_text` rewrites a sentence
into a text of exactly the same length in which every number uses a comma between
thousands and a dot before decimals, numbers in words are digits, and glued units stand
apart, and a number in brackets is read without them, so that the figure patterns and
quantulum3 read it, and every offset into the
original text stays true. The words and units come from models/units.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..domain import Domain

# a number with separators: "1.102.300", "874,6", "12,450.5" (spaces are handled apart)
SEPARATED = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)+(?![\w])|(?<![\w.,])\d+(?:[.,]\d+)+(?=[A-Za-z%²])")
DECIMAL_COMMA = re.compile(r"(?<![\d.,])\d+,\d{1,2}(?![\d,])")
DOT_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3}){2,}(?![\d.])")
# "(1.238) mines", "Syria (884)": a number in brackets is read as the number
BRACKETED = re.compile(r"\((\d[\d.,]*)\)")
WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*|\d+(?:[.,]\d+)*")
REPEATED = re.compile(r"\s*\((\d[\d,.]*)\)")  # "thirteen (13)": the number again in digits


def uses_decimal_comma(text: str) -> bool:
    """An article that writes a decimal comma or dots between thousands uses a dot for
    thousands everywhere (labeling guide, number conventions)."""
    return bool(DECIMAL_COMMA.search(text) or DOT_GROUPS.search(text))


@dataclass(frozen=True)
class Rewrite:
    """A stretch of the sentence read as something else of the same length."""

    start: int
    end: int
    value: float


class NumberReader:
    """The article's numbers in one plain form (see the module docstring)."""

    def __init__(self, domain: Domain):
        words = domain.number_words
        self.small = {k: float(v) for k, v in words.get("units", {}).items()}
        self.tens = {k: float(v) for k, v in words.get("tens", {}).items()}
        self.multipliers = {k: float(v) for k, v in words.get("scales", {}).items()}
        scale_words = sorted(self.multipliers, key=lambda w: (-len(w), w))
        # matched at a number's end (and currency_before within a reach before its start):
        # copying the text before or after each number costs the square of a sentence's length
        self.scale_after = re.compile(r"\s*\)?\s*(?:" + "|".join(re.escape(w) for w in scale_words) + r"|bn|mn|m|b)\b", re.I)
        # a word any number in words starts with or holds ("twenty-one", "2 thousand", "half")
        number_words = sorted({*self.small, *self.tens, *self.multipliers, "half"}, key=lambda w: (-len(w), w))
        self.any_word = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in number_words) + r")\b", re.I)
        units = sorted(domain.glued_units, key=lambda u: (-len(u), u))
        glued = "|".join(re.escape(u).replace(r"\ ", "[- ]") for u in units)
        self.glued = re.compile(r"(?<=\d)-(" + glued + r")\b", re.I) if units else None
        self.glued_start = re.compile(r"(?:" + glued + r")\b", re.I) if units else None  # "six-year": "year"
        self.thousands_units = re.compile(
            r"^\s*\)?\s*(?:" + "|".join(re.escape(u) for u in sorted(domain.thousands_dot_units, key=lambda u: (-len(u), u))) + r")\b", re.I
        )
        self.decimal_units = re.compile(
            r"\s*\)?\s*(?:" + "|".join(re.escape(u) for u in sorted(domain.decimal_dot_units, key=lambda u: (-len(u), u))) + r")(?![\w])", re.I
        )
        currency = [s for spec in domain.currencies.values() for s in spec["before"]]
        self.currency_before = re.compile(r"(?:" + "|".join(re.escape(c) for c in sorted(currency, key=lambda c: (-len(c), c))) + r")\s?\(?$")
        self.currency_reach = max((len(c) for c in currency), default=0) + 3  # a sign, a space, a bracket, a line end

    # -- separators ------------------------------------------------------------------------
    def separators(self, text: str, decimal_comma: bool) -> str:
        """Commas between thousands, a dot before decimals, whatever the article wrote."""
        out = list(text)
        for m in SEPARATED.finditer(text):
            num = m.group(0)
            parts = re.split(r"([.,])", num)
            groups, seps = parts[0::2], parts[1::2]
            new = groups[0]
            for k, sep in enumerate(seps):
                following = groups[k + 1]
                new += self._separator(sep, following, k == len(seps) - 1, len(seps), decimal_comma, text, m) + following
            out[m.start() : m.end()] = new
        return "".join(out)

    def _separator(self, sep: str, following: str, last: bool, count: int, decimal_comma: bool, text: str, m: re.Match) -> str:
        if len(following) != 3:
            return "."  # "874,6", "1.5": a decimal mark
        if sep == "," or count > 1:
            return ","  # "11,437", "1.102.300": thousands
        # one dot before three digits
        if decimal_comma:
            return ","  # dots group thousands everywhere in such copy: "COP 48.500 million"
        if self.scale_after.match(text, m.end()):
            return "."  # "39.675 million": a number of millions has no thousands
        before = self.currency_before.search(text, max(0, m.start() - self.currency_reach), m.start())
        if before or self.decimal_units.match(text, m.end()):
            return "."  # "2.375 hectares", "$1.250": a decimal in copy with no other sign
        return ","  # "1.238 mines", "8.250 square meters": things and square metres are whole

    # -- numbers in words ------------------------------------------------------------------
    def words(self, text: str) -> list[Rewrite]:
        """Numbers written wholly or partly in words, with their values."""
        if not self.any_word.search(text):
            return []  # digits alone, as most sentences write them: nothing to rewrite
        tokens = [self._unglued(m.start(), m.group(0)) for m in WORD.finditer(text)]
        out: list[Rewrite] = []
        k = 0
        while k < len(tokens):
            found = self._number_at(tokens, k, text)
            if found is None:
                k += 1
                continue
            end_k, value = found
            start, end = tokens[k][0], tokens[end_k - 1][1]
            out.append(Rewrite(start, end, value))
            k = end_k
        return out

    def _unglued(self, start: int, word: str) -> tuple[int, int, str]:
        """A word token without the unit glued to a number in words: "six-year" is "six",
        "fifty-two-year-old" is "fifty-two" (the unit stays in the text for the patterns)."""
        if "-" in word and self.glued_start is not None and not word[0].isdigit():
            parts = word.split("-")
            for i in range(1, len(parts)):
                head = "-".join(parts[:i])
                if self._word_value(head) is not None and self.glued_start.match("-".join(parts[i:])):
                    return start, start + len(head), head
        return start, start + len(word), word

    def _word_value(self, word: str) -> float | None:
        w = word.lower()
        if w in self.small:
            return self.small[w]
        if w in self.tens:
            return self.tens[w]
        if "-" in w:  # "fifty-two", "twenty-one"
            a, _, b = w.partition("-")
            if a in self.tens and self.small.get(b, 10) < 10:
                return self.tens[a] + self.small[b]
        return None

    def _number_at(self, tokens: list[tuple[int, int, str]], k: int, text: str) -> tuple[int, float] | None:
        """(index after the number, value) for a number written wholly or partly in words
        that starts at token k: "four thousand and 27", "2 thousand 300", "Fifty-two",
        "half a million", "one million and a half", "one and a half million". Digits with at
        most a scale word after them ("1.5 million") are left to the figure patterns."""
        n = len(tokens)

        def low(i: int) -> str:
            return tokens[i][2].lower() if i < n else ""

        total, current, last_scale = 0.0, None, 0.0
        spelled = joined = decimal = False
        i = k
        while i < n:
            if i > k and text[tokens[i - 1][1] : tokens[i][0]].strip():
                break  # punctuation between two words ends the number
            tok, word = tokens[i][2], self._word_value(tokens[i][2])
            digits = _plain_float(tok) if tok[0].isdigit() else None
            if tok[0].isdigit() and digits is None:
                break  # "12.03.2024": digits that are not one number
            if digits is not None or word is not None:
                value = digits if digits is not None else word
                if i > k and current is None and last_scale and not joined and (decimal or text[tokens[i][1] : tokens[i][1] + 1] == "-"):
                    break  # "2.8 billion four years ago", "58.8 million 60-kg bags": two figures
                decimal = decimal or (digits is not None and "." in tok)
                if current is None and (i == k or last_scale or joined):
                    current = value  # "2 thousand 300": digits after a scale word
                    spelled = spelled or word is not None or i > k
                elif current is not None and (joined or (current % 10 == 0 and 20 <= current < 100 and value < 10)) and value < current:
                    current += value  # "one hundred and twenty", "twenty five"
                    spelled = True
                else:
                    break
                joined = False
            elif low(i) in ("a", "an") and i == k and low(i + 1) in self.multipliers:
                current, spelled = 1.0, True  # "a million"
            elif low(i) == "half" and current is None and low(i + 1) in ("a", "an") and low(i + 2) in self.multipliers:
                scale = self.multipliers[low(i + 2)]
                total += 0.5 * scale  # "half a million"
                i, spelled = i + 3, True
                break
            elif low(i) in self.multipliers and current is not None:
                scale = self.multipliers[low(i)]
                if scale < 1000:
                    current *= scale  # "one hundred"
                else:
                    total, current, last_scale = total + current * scale, None, scale
            elif low(i) == "and" and low(i + 1) in ("a", "an") and low(i + 2) == "half":
                if current is not None and low(i + 3) in self.multipliers:
                    current += 0.5  # "one and a half million"
                    i += 3
                    continue
                if current is None and last_scale:
                    total += 0.5 * last_scale  # "one million and a half"
                    i, spelled = i + 3, True
                break
            elif low(i) == "and" and (spelled or last_scale) and (last_scale == 1000 or (current is not None and current >= 100 and current % 100 == 0)):
                # "four thousand and 27", "one hundred and twenty"; after "million" an "and"
                # joins two figures ("$350 million and 15 years"), and so it does after digits
                # alone ("between 500,000 and one million")
                joined = True
            else:
                break
            i += 1
        while i > k and low(i - 1) in ("and", "a", "an"):
            i -= 1  # never end on a word that only joins
        value = total + (current or 0.0)
        if not spelled or i == k or value <= 0:
            return None
        if i == k + 1 and low(k) == "one":
            return None  # "one" alone is a figure only in a list of figures, like "a" (quantities)
        return i, value

    # -- the whole sentence ------------------------------------------------------------------
    def reading_text(self, text: str, decimal_comma: bool) -> tuple[str, list[Rewrite]]:
        """The sentence in the plain form, the same length, and the stretches rewritten."""
        plain = BRACKETED.sub(lambda m: " " + m.group(1) + " ", text)  # digits keep their offsets
        plain = self.separators(plain, decimal_comma)
        rewrites = []
        out = list(plain)
        for r in self.words(plain):
            digits = _digits(r.value, r.end - r.start, plain[r.start : r.end])
            if digits is None:
                continue
            again = REPEATED.match(text, r.end)  # the brackets are spaces in `plain` by now
            if again and _plain_float(again.group(1).replace(".", "")) == r.value:
                # "thirteen (13) persons": the number written twice is one figure
                out[r.end : again.end()] = " " * (again.end() - r.end)
                r = Rewrite(r.start, again.end(), r.value)
            # digits at the right end, beside the unit word that may follow
            out[r.start : r.end] = digits.rjust(r.end - r.start)
            rewrites.append(r)
        plain = "".join(out)
        if self.glued is not None:
            plain = self.glued.sub(lambda m: " " + m.group(1).replace("-", " "), plain)
        return plain, rewrites


def _plain_float(token: str) -> float | None:
    try:
        return float(token.replace(",", ""))
    except ValueError:
        return None


def _digits(value: float, width: int, original: str) -> str | None:
    """The value as digits that fit the width of the words it replaces; "three million"
    keeps its scale word ("3 million"), so that "two to three million" still reads as a
    range of millions."""
    for scale, word in ((1e9, "billion"), (1e6, "million")):
        if word in original.lower() and value >= scale:
            text = f"{value / scale:g} {word}"
            if len(text) <= width:
                return text
    if value == int(value):
        text = str(int(value))
        if len(text) <= width:
            return text
    for scale, word in ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        if value >= scale:
            text = f"{value / scale:g} {word}"
            if len(text) <= width:
                return text
    text = f"{value:g}"
    return text if len(text) <= width and "e" not in text else None


def expand(start: int, end: int, rewrites: list[Rewrite]) -> tuple[int, int]:
    """A figure found in the plain form covers the whole stretch it was read from."""
    for r in rewrites:
        if r.start <= start < r.end or r.start < end <= r.end:
            start, end = min(start, r.start), max(end, r.end)
    return start, end
