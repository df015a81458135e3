"""Step 1: numbers and quantities.

Patterns built from models/units.yaml read the figures themselves, in the plain form of
numbers.reading_text (numbers in words are digits there): money with a symbol, a code or a
name ("$25bn", "AZN 10 million", "4 million dollars"), ranges ("between 2 and 3 million"),
and every number with its sign, its scale ("4.2 million", "$7.2M", "5bn") and the unit
written after it ("12 sq km", "5.5pc", "a 300-metre stretch", "41 tonnes"). quantulum3 is
asked only about what those cannot read: a word after a number that could be a unit it
knows and units.yaml does not ("5 joules"), and the number words it alone reads ("a
dozen", "a third"). Units quantulum3 invents ("2020 second") are dropped.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from spacy.attrs import LOWER
from spacy.language import Language
from spacy.tokens import Doc, Span

from ..domain import Domain, bag_matches, load_domain
from ..storage import built_once
from .claim import Claim, set_claims
from .index import doc_index
from .numbers import NumberReader, expand, uses_decimal_comma
from .syntax import words

warnings.filterwarnings("ignore", message="Classifier dependencies not installed")
from quantulum3 import load as q_load  # noqa: E402
from quantulum3 import no_classifier as q_no_clf  # noqa: E402
from quantulum3 import parser as q_parser  # noqa: E402
from quantulum3 import regex as q_regex  # noqa: E402

# -- quantulum3 in a fixed order ----------------------------------------------------------
# quantulum3 keeps operators, range and uncertainty marks in sets that it joins into regex
# alternations, and the units that share a symbol ("ha": hectare and hartree) in sets of
# objects hashed by their repr; Python's hash seed orders both, so the same text could
# read differently in two processes ("an X-ray" as "an X" or as "an"). Its set-valued
# regex parts are handed over longest first (what an alternation needs: " times " before
# " "), then alphabetically, and its unit candidates sorted by name, the domain's own
# units first, so a tie goes the same way everywhere.
_REGEX_SETS = ("ranges", "uncertainties", "multiplication_operators", "division_operators", "grouping_operators", "decimal_operators", "operators")
_PREFERRED_UNITS: set[str] = set()


def _longest_first(fn):
    def ordered(*args, **kwargs):
        return sorted(fn(*args, **kwargs), key=lambda s: (-len(s), s))

    ordered.__wrapped__ = fn
    return ordered


def _sorted_candidates(fn):
    def ordered(entities, text, lang="en_US"):
        return fn(sorted(entities, key=lambda u: (u.name not in _PREFERRED_UNITS, u.name)), text, lang)

    ordered.__wrapped__ = fn
    return ordered


def fix_quantulum_order() -> None:
    """Make quantulum3's readings independent of the hash seed (idempotent)."""
    for name in _REGEX_SETS:
        fn = getattr(q_regex, name)
        if not hasattr(fn, "__wrapped__"):
            setattr(q_regex, name, _longest_first(fn))
    if not hasattr(q_no_clf.disambiguate_no_classifier, "__wrapped__"):
        q_no_clf.disambiguate_no_classifier = _sorted_candidates(q_no_clf.disambiguate_no_classifier)
    q_load.clear_cache()  # regexes built before this, in the old order, are built again


fix_quantulum_order()

NUM = r"\d{1,3}(?:(?:,|[ \u00a0\u2009\u202f])\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
YEAR_LIKE = re.compile(r"^(19|20)\d\d$")
# an ordinal as written: "18th", "3rd", "third", "twentieth" (the tagger also calls "31pc" one)
ORDINAL = re.compile(r"\d(?:st|nd|rd|th)\b|\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|\w+teenth|\w+tieth|hundredth|thousandth|millionth)\b", re.I)
# what makes an entity the tagger calls a date really one: a month, a weekday, a year, a word
# of time or a clock
DATE_WORDS = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b"
    r"|\b(?:19|20)\d\d(?:'?s)?\b|\b(?:years?|months?|weeks?|days?|decades?|centur(?:y|ies)|hours?|minutes?|today|yesterday|tomorrow|ago|quarter)\b|\d[.:]\d\d|[ap]\.?m\b",
    re.IGNORECASE,
)


PAUSE = re.compile(r"\s*(?:[.,;:!?)]|$)")
PHONE = re.compile(r"0\d")  # a leading zero: a phone number or a code, no figure
PHONE_REST = re.compile(r"[\d \-]*\d")
PHONE_SEQ = re.compile(r"\d+(?:[ \-]\d{2,4}){2,}(?![\d,.])")  # groups that are no thousands
SCORE = re.compile(r"\d{1,3}[-–]\d{1,3}(?!\d|[.,]\d)(?:\s\d{1,3}[-–]\d{1,3}(?!\d|[.,]\d))*")
ORDINAL_BEFORE = re.compile(r"\b(?:first|second|third|fourth|final|last|next|previous|latter|former|\d+(?:st|nd|rd|th))\s+$", re.I)


@dataclass(frozen=True)
class Found:
    """A figure found in a sentence: character offsets into the doc, value and unit."""

    start: int
    end: int
    value: float
    unit: str
    bound: str = ""
    reason: str = ""  # why the figure is no claim whatever it counts ("fraction", "single")


def parse_number(text: str) -> float:
    """'1,234' -> 1234; '1 234' -> 1234 (in the plain form of numbers.reading_text, a
    comma or space only ever groups thousands)."""
    return float(re.sub(r"[ ,\u00a0\u2009\u202f]", "", text))


def _alts(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


class Patterns:
    """Regular expressions compiled from units.yaml, once per domain."""

    def __init__(self, domain: Domain):
        self.domain = domain
        word_scales = [s for s in domain.scales if len(s) > 2 or s in ("mn", "bn", "tn")]
        before = {}
        after = {}
        for code, spec in domain.currencies.items():
            for s in spec["before"]:
                before[s] = code
            for s in spec["after"]:
                after[s.lower()] = code
        # a symbol or name several currencies share stands for "shared:k" until the
        # article's country decides (QuantityFinder.shared_codes)
        for k, shared in enumerate(domain.shared_currencies):
            for s in shared.before:
                before[s] = f"shared:{k}"
            for s in shared.after:
                after[s.lower()] = f"shared:{k}"
        for code in domain.iso_codes:
            before[code] = code.lower()
        # a name written in capitals ("KM" for convertible marks) counts in capitals only,
        # like the ISO codes: "1,200 km" is a length
        capitals: dict[str, str] = {}
        for code, spec in domain.currencies.items():
            for s in spec["after"]:
                if s.isupper():
                    capitals[s] = code
                    after.pop(s.lower(), None)
        self.cur_before = before
        self.cur_after = after
        self.iso = {code: code.lower() for code in domain.iso_codes} | capitals
        iso = "(?-i:" + _alts(list(domain.iso_codes) + list(capitals)) + ")"  # codes count in capitals only
        sc = _alts(domain.scales)
        scw = _alts(word_scales)
        self.money_before = re.compile(
            rf"(?<![\w$€£¥₼₴₩₹])(?P<cur>{_alts(before)})\s?(?P<num>{NUM})(?:(?P<scale>(?i:{sc}))\b|\s(?P<scalew>(?i:{scw}))\b)?",
        )
        # "4 million dollars", "NOK 60 million" is before; "2.5 million lei (MDL)", "USD 920,000" after
        self.money_after = re.compile(
            rf"(?<![\w.,])(?P<num>{NUM})(?:\s{{0,2}}(?P<scale>{scw}))?\s{{1,2}}"
            rf"(?:(?P<cur>{_alts(after)})\b(?:\s\((?P<code2>{iso})\))?|\(?(?P<code>{iso})\b\)?)",
            re.IGNORECASE,
        )
        more_before, more_after = _alts(domain.more_words.get("before", ())), _alts(domain.more_words.get("after", ()))
        self.more_years = re.compile(
            rf"(?<![\w.,])(?:(?P<pre>{more_before})\s+)?(?:between\s+)?(?P<num>{NUM})"
            rf"(?:\s*(?:to|-|–|or|and)\s*(?P<num2>{NUM}))?\s+(?(pre)(?:(?:{more_after})\s+)?|"
            rf"(?:{more_after})\s+)(?P<unit>years?|decades?)\b", re.I
        )
        # "another decade", "a further year": one of the unit
        self.more_unit = re.compile(rf"(?<![\w.,])(?:{more_before})\s+(?P<unit>year|decade)\b", re.I)
        cb = _alts(before)
        self.range = re.compile(
            rf"(?<![\w.,])(?:(?P<kw>between|from)\s+)?(?P<cura>{cb})?\s?(?P<a>{NUM})(?:\s?(?P<sa>{scw}))?"
            rf"(?P<sep>\s+(?:and|to)\s+|\s?[-–—]\s?)(?P<curb>{cb})?\s?(?P<b>{NUM})(?:\s?(?P<sb>{scw}))?"
            rf"(?:\s(?P<cur>{_alts(after)})\b)?",
            re.IGNORECASE,
        )
        # units as written after a number (units.yaml `written`): the longest surface wins,
        # a word in any case, a symbol as written
        self.units = {w: (unit, factor) for w, unit, factor, any_case in domain.written_units if not any_case}
        self.unit_words = {w.lower(): (unit, factor) for w, unit, factor, any_case in domain.written_units if any_case}
        surfaces = sorted({(w, any_case) for w, _u, _f, any_case in domain.written_units}, key=lambda p: (-len(p[0]), p))
        alts = "|".join(f"(?i:{re.escape(w)})" if any_case else re.escape(w) for w, any_case in surfaces)
        self.units.update({w: (unit, factor) for w, unit, factor in domain.glued_symbols})
        glued = _alts(w for w, _u, _f in domain.glued_symbols)
        between = rf"(?:(?i:{_alts(domain.between_number_and_unit)})\s+)?" if domain.between_number_and_unit else ""
        self.unit_at = re.compile(rf"(?:[ \u00a0]{{0,2}}{between}(?P<u>{alts}){f'|(?P<g>{glued})' if glued else ''})(?![A-Za-z0-9²³])")
        self.unit_before = re.compile(r"\b(?P<u>" + _alts(w for w, _u in domain.written_before) + r")[ \-]$", re.I) if domain.written_before else None
        self.before_units = dict(domain.written_before)
        self.parts = {w.lower(): float(v) for w, v in domain.number_words.get("fractions", {}).items()}
        # a number as the patterns read it: a sign ("-5", "minus 5"), digits ("1,200.5"), a
        # fraction ("1/2"), or "one"
        self.number = re.compile(
            rf"(?:(?<![^\s(])(?P<sign>[-−])|(?P<minus>\bminus\s+))?(?<![\w.,/])(?:(?:(?P<whole>\d+) (?=\d{{1,2}}/\d))?(?P<num>{NUM})(?![\d])(?:/(?P<den>\d{{1,2}})(?![\d/]))?|(?P<one>(?i:one))\b(?!-))"
        )
        # a scale after a number: a word ("4.2 million", "5bn") or a letter glued to it
        # ("$7.2M", "5B", "2.5k"; a lower-case "m" only after decimals: "50m" is metres), or a
        # capital letter apart before a word ("5 B people")
        self.scale_at = re.compile(rf"[ \u00a0]{{0,2}}(?P<w>(?i:{scw}))(?![A-Za-z])|(?P<l>[kKMB]|(?<=\.\d)m|(?<=\.\d\d)m)(?![A-Za-z0-9])|[ ](?P<sp>[MB])(?=\s+[a-z])")
        number_words = sorted(w for group in domain.number_words.values() for w in group)
        self.ratio = re.compile(r"\s+in\s+(?:every\s+)?(?:\d|(?:" + _alts(number_words) + r")\b)", re.I)
        self.next_word = re.compile(r"[ \u00a0]{0,2}([^\W\d_][\w\-]*)")
        # a fraction in words: "a third", "two-thirds", "three quarters", "half"; "2 and a half"
        parts = domain.number_words.get("fractions", {})
        numerators = ["a", "an"] + [w for k in ("units", "tens") for w in domain.number_words.get(k, {})]
        self.fraction = re.compile(
            rf"(?<![\w-])(?:(?P<whole>{NUM})\s+and\s+(?=a\s+half\b))?(?:(?P<numer>\d+|(?i:{_alts(numerators)}))[\s-]+)?(?P<part>(?i:{_alts(parts)}))\b(?!-)"
        ) if parts else None
        self.one_before = re.compile(r"\b(?:" + _alts(domain.one_not_figure.get("before", ())) + r")\s+$", re.I) if domain.one_not_figure.get("before") else None
        self.one_after = re.compile(r"\s+(?:" + _alts(domain.one_not_figure.get("after", ())) + r")\b", re.I) if domain.one_not_figure.get("after") else None
        # ages (cues.yaml `ages`): "a 34-year-old", "aged 9 and 12", "Ahmed, 34,"
        ages = domain.ages
        after, before = (_alts(ws).replace(r"\ ", r"\s+") for ws in (ages.after, ages.before))  # "of age": any spaces
        self.age_after = re.compile(rf"[\s-]*(?:{after})\b", re.I) if ages.after else None
        self.age_before = re.compile(rf"\b(?:{before})\s+(?:(?:{NUM})\s*(?:,|and|or|to|[-–])\s*)*$", re.I) if ages.before else None
        self.month = re.compile(
            r"^\s*(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\b", re.IGNORECASE
        )
        self.month_before = re.compile(
            r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s*$", re.IGNORECASE
        )

    def scale(self, s: str | None) -> float:
        return self.domain.scales.get((s or "").lower(), 1.0)

    def unit(self, text: str, pos: int) -> tuple[str, float, int] | None:
        """The unit written at `pos` (after a number or its scale): canonical unit, factor,
        end; quantulum3 is asked only about a word that may be a unit it knows."""
        m = self.unit_at.match(text, pos)
        if m is not None:
            surface = m["u"] or m["g"]
            unit, factor = self.units.get(surface) or self.unit_words[surface.lower()]
            return unit, factor, m.end()
        w = self.next_word.match(text, pos)
        if w is None or w.group(1).lower() in self.domain.not_units or w.group(1).lower() not in _maybe_units():
            return None
        return _quantulum_unit(text, pos, self.domain)


@lru_cache(maxsize=8)
def _patterns(domain: Domain) -> Patterns:
    return Patterns(domain)


_taught: set[str] = set()


def teach_quantulum(domain: Domain) -> None:
    """Teach quantulum3 the domain units through its own custom-unit mechanism."""
    key = domain.digest
    if key in _taught:
        return
    for unit in domain.teach_units:
        spec = dict(unit)
        name = spec.pop("name")
        q_load.add_custom_unit(name=name, **spec)
    _PREFERRED_UNITS.update(domain.quantulum_units)
    _taught.add(key)


SPACES = str.maketrans({"\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " "})


@lru_cache(maxsize=4096)  # repeated sentences (datelines, boilerplate) only: memory stays flat
def _quantulum(text: str) -> tuple[tuple[float, str, int, int, bool], ...]:
    # thin, narrow and non-breaking spaces group thousands too; each is one character, so
    # reading them as a plain space keeps every offset
    text = text.translate(SPACES)
    out = []
    for q in q_parser.parse(text):
        name = q.unit.name
        if name != "dimensionless" and not _unit_written(q.surface):
            name = "invented"  # "4 a.m." read as 4 years: the unit is a lone letter
        elif name != "dimensionless":
            _ENTITY[name] = q.unit.entity.name
        out.append((float(q.value), name, q.span[0], q.span[1], q.uncertainty is not None))
    return tuple(out)


_ENTITY: dict[str, str] = {}  # quantulum3 unit name -> its entity ("tonne" -> "mass")


def _unit_written(surface: str) -> bool:
    """The surface writes a unit of its own: letters or a sign beyond the number ("41 tonnes",
    "60 mm", "12 km²"), not a lone "a" or "an" that quantulum3 read as a unit."""
    rest = re.sub(r"^[\d\s.,\-–]+", "", surface).strip().lower()
    return bool(rest) and rest not in ("a", "an", "a.", "s", "m")


@lru_cache(maxsize=1)
def _maybe_units() -> frozenset[str]:
    """The first words of every unit name, surface and symbol quantulum3 knows (lower case),
    built once per machine: loading quantulum3's units takes a tenth of a second."""
    from importlib.metadata import version

    def build() -> frozenset[str]:
        units = q_load.units("en_US")
        words = set()
        for group in (units.surfaces_lower, units.symbols_lower, units.surfaces, units.symbols):
            words |= {str(k).split()[0].lower() for k in group if str(k).strip()}
        return frozenset(words)

    return built_once("quantulum-words", [version("quantulum3"), Path(__file__).read_text(encoding="utf-8")], build, valid=lambda v: isinstance(v, frozenset))


NOT_COUNTED = ("measure", 1.0)  # a unit of a measure no metric counts, unknown to units.yaml


def _quantulum_unit(text: str, pos: int, domain: Domain) -> tuple[str, float, int] | None:
    """The unit quantulum3 reads in the words at `pos`, up to the next digit: it reads
    "1 <those words>"."""
    stop = re.search(r"\d|[;:!?]|\.(?:\s|$)", text[pos : pos + 40])
    words = text[pos : pos + (stop.start() if stop else 40)]
    found = _quantulum("1 " + words.translate(SPACES))
    if not found or found[0][2] != 0 or found[0][1] == "dimensionless":
        return None
    _v, name, _s, e, _u = found[0]
    end = pos + e - 2
    if name in domain.quantulum_units:
        return (*domain.quantulum_units[name], end)
    if _ENTITY.get(name) in domain.measures_not_counted:
        return (*NOT_COUNTED, end)  # "60 mm", "41 tonnes": no count of things either
    return None


class SharedCodes:
    """Each shared currency symbol's currency in an article (QuantityFinder.shared_codes),
    worked out when a figure first asks: most articles write no "Rs" or "$" of that kind,
    and counting every country's names in the text costs more than reading its figures."""

    def __init__(self, finder: "QuantityFinder", text: str):
        self.finder, self.text, self.codes = finder, text, None

    def get(self, key: str, default: str) -> str:
        if self.codes is None:
            self.codes = self.finder.shared_codes(self.text)
        return self.codes.get(key, default)


def find_in_text(text: str, offset: int, domain: Domain, shared: "dict[str, str] | SharedCodes | None" = None) -> list[Found]:
    """Every figure in one sentence of text; offsets are shifted by `offset`. `shared` maps
    a shared currency symbol ("shared:k") to the article's currency."""
    pat = _patterns(domain)

    def currency(key: str) -> str:
        return (shared or {}).get(key, key)

    found: list[Found] = []
    # the characters a figure already stands on: a look per figure, not one per pair of
    # figures (a table of numbers is one long sentence)
    taken = bytearray(len(text))

    def free(s: int, e: int) -> bool:
        return taken.find(1, s, e) < 0

    def take(s: int, e: int) -> None:
        taken[s:e] = b"\x01" * (e - s)

    def add(s: int, e: int, value: float, unit: str, bound: str = "", reason: str = "") -> None:
        found.append(Found(s + offset, e + offset, value, unit, bound, reason))
        take(s, e)

    for m in pat.more_years.finditer(text):
        if free(m.start(), m.end()):
            factor = 10.0 if m["unit"].lower().startswith("decade") else 1.0
            if m["num2"]:  # "four to five more years": a range
                add(m.start("num"), m.end("num"), parse_number(m["num"]) * factor, "year", "lower_bound")
                add(m.start("num2"), m.end(), parse_number(m["num2"]) * factor, "year", "upper_bound")
            else:
                add(m.start("num"), m.end(), parse_number(m["num"]) * factor, "year")
    for m in pat.more_unit.finditer(text):
        if free(m.start(), m.end()):
            add(m.start(), m.end(), 10.0 if m["unit"].lower() == "decade" else 1.0, "year")
    for m in pat.range.finditer(text):
        if not free(m.start(), m.end()):
            continue
        a, b = m["a"], m["b"]
        sa, sb = m["sa"], m["sb"]
        is_years = YEAR_LIKE.match(a) and YEAR_LIKE.match(b) and not (sa or sb)
        following = None if (m["cur"] or m["cura"] or m["curb"]) else pat.unit(text, m.end())
        if following is not None and following[0] == NOT_COUNTED[0]:
            following = None
        measured = not (m["kw"] or sb) and following is not None
        if is_years or not (m["kw"] or sb or m["cura"] or m["curb"] or measured):
            continue  # "2020-2023", "May 24-26": not a range of figures; "300-400 hectares" is
        if YEAR_LIKE.match(a) and not (sa or m["cura"]) and re.search(r"\b(?:since|in|from|by|until|of)\s*$", text[: m.start()], re.I):
            continue  # "since 2018 to NZ$31 million": a year, then the sum
        if m["sep"].strip().lower() == "and" and (m["kw"] or "").lower() != "between":
            continue  # "$350 million and 15 years": two figures, not a range
        scale_b = pat.scale(sb)
        # "between 2 and 3 million": the first end borrows the scale; "between 500,000 and
        # 1 million" does not (it is already the larger number)
        scale_a = pat.scale(sa) if sa else (scale_b if parse_number(a) <= parse_number(b) else 1.0)
        cur = m["cura"] or m["curb"]
        end_b = m.end()
        if cur:
            unit, factor = currency(pat.cur_before[cur]), 1.0
        elif m["cur"]:
            unit, factor = currency(pat.cur_after[m["cur"].lower()]), 1.0
        elif following is not None:
            unit, factor, end_b = following  # the second figure reaches over its unit
        else:
            unit, factor = "count", 1.0
        a_start = m.start("cura") if m["cura"] else m.start("a")
        a_end = m.end("sa") if sa else m.end("a")
        b_start = m.start("curb") if m["curb"] else m.start("b")
        add(a_start, a_end, parse_number(a) * scale_a * factor, unit, "lower_bound")
        add(b_start, end_b, parse_number(b) * scale_b * factor, unit, "upper_bound")
    for m in pat.money_before.finditer(text):
        value = parse_number(m["num"]) * pat.scale(m["scale"] or m["scalew"])
        add(m.start(), m.end(), value, currency(pat.cur_before[m["cur"]]))
    for m in pat.money_after.finditer(text):
        if free(m.start(), m.end()):
            value = parse_number(m["num"]) * pat.scale(m["scale"])
            code = m["code2"] or m["code"]
            add(m.start(), m.end(), value, pat.iso[code] if code else currency(pat.cur_after[m["cur"].lower()]))
    def add_parsed(value: float, name: str, s: int, e: int, reason: str = "") -> None:
        surface = text[s:e]
        if name in domain.quantulum_units:
            canonical, factor = domain.quantulum_units[name]
            if domain.unit_kinds.get(canonical) == "money":
                return  # quantulum3 reads some currencies; the pre-pass owns money
            add(s, e, value * factor, canonical, reason=reason)
        elif _ENTITY.get(name) in domain.measures_not_counted:
            # "5 joules": a measure written with its unit that no metric counts; the number
            # is no count of things either
            take(s, e)
        else:
            # an invented or unsupported unit: keep the bare number if one leads the surface
            lead = re.match(NUM, surface)
            if lead and lead.group(0).strip():
                add(s, s + lead.end(), parse_number(lead.group(0)), "count", reason=reason)

    # fractions in words: "a third" is a share of something, never a figure of a claim; "half"
    # alone is one unless an ordinal makes it a part of a season ("the first half")
    for m in pat.fraction.finditer(text) if pat.fraction is not None else ():
        if not free(m.start(), m.end()):
            continue
        numer, part = (m["numer"] or "").lower(), m["part"].lower()
        if not numer and (part not in ("half", "halves") or ORDINAL_BEFORE.search(text, max(0, m.start() - 12), m.start())):
            continue  # "the third quarter", "the first half"
        share = (1.0 if numer in ("", "a", "an") else parse_number(numer) if numer[0].isdigit() else domain.number_words["units"].get(numer) or domain.number_words["tens"][numer]) / pat.parts[part]
        unit = pat.unit(text, m.end())
        if m["whole"]:
            value, reason = parse_number(m["whole"]) + share, ""  # "two and a half years"
        else:
            value, reason = share, "fraction"
        if unit is not None and unit[0] != NOT_COUNTED[0] and domain.unit_kinds.get(unit[0]) != "money":
            add(m.start(), unit[2], value * unit[1], unit[0], reason=reason)
        else:
            add(m.start(), m.end(), value, "fraction" if reason else "count", reason=reason)
    # every other number: its sign, scale and unit
    for m in pat.number.finditer(text):
        start = m.start()
        if not free(start, m.end()):
            continue
        whole = 0.0
        if m["one"]:
            value, reason = 1.0, "single"  # "one of the victims": a figure, no claim by itself
            if (pat.one_before and pat.one_before.search(text, max(0, start - 12), start)) or (pat.one_after and pat.one_after.match(text, m.end())) or PAUSE.match(text, m.end()):
                continue  # "no one", "one another", "if they find one."
        elif m["den"]:
            num, den = parse_number(m["num"]), float(m["den"])
            if not (0 < num < den <= 10):
                continue  # "24/7", "9/11": no fraction
            whole = parse_number(m["whole"]) if m["whole"] else 0.0  # "2 1/2 years"
            value, reason = whole + num / den, "" if whole else "fraction"
        elif PHONE.match(m["num"]) or ((seq := PHONE_SEQ.match(text, start)) is not None and seq.end() > m.end()):
            take(start, PHONE_REST.match(text, start).end())  # "018000 123 456", "1800 22 55 22": a phone number
            continue
        else:
            value, reason = parse_number(m["num"]), ""
        if m["sign"] or m["minus"]:
            value = -value
        end = m.end()
        sc = pat.scale_at.match(text, end)
        if sc is not None and not m["den"]:
            value *= pat.scale(sc["w"] or sc["l"] or sc["sp"])
            end = sc.end()
        unit = pat.unit(text, end)
        if unit is not None and unit[0] == NOT_COUNTED[0]:
            take(start, unit[2])  # a measure no metric counts, unknown to units.yaml
            continue
        before = pat.unit_before.search(text, max(0, start - 16), start) if pat.unit_before is not None and unit is None else None
        if unit is None and re.match(r"[A-Za-z]", text[end : end + 1]):
            take(start, end)  # "5G", "7.45pm", "A350-900s": letters glued to a number make a name or a time
            continue
        score = SCORE.match(text, start) if unit is None else None
        if score is not None and not pat.scale_at.match(text, score.end()) and not pat.unit(text, score.end()):
            take(start, score.end())  # "3-1", "6-3 7-6": a score (or a code), no figures
            continue
        if before is not None:
            add(before.start(), end, value, pat.before_units[before["u"].lower()])  # "magnitude 6.4"
        elif unit is not None:
            canonical, factor, end = unit
            if domain.unit_kinds.get(canonical) == "money":
                continue  # quantulum3 reads some currencies; the money patterns own money
            add(start, end, value * factor, canonical, reason="" if m["one"] else reason)
        elif reason == "fraction":
            add(start, end, value, "fraction", reason=reason)
        else:
            add(start, end, value, "count", reason=reason if (reason != "single" or end == m.end()) else "")
    return found


def _no_claim(span: Span, found: Found, kind: str) -> str:
    """Why a figure that is one is no claim whatever it counts ("" when it may be one)."""
    index = doc_index(span.doc)
    text = index.text
    if kind == "duration" and re.match(r"^\s*(?:after|ago|since|before|later|earlier)\b", text[found.end : found.end + 10], re.I):
        return "point in time"  # "eighty years after the battles": a point in time, not a duration
    if kind == "duration":
        for ent in index.ents_over(index.sents[index.sent_no(span.start)], span.start_char, span.end_char):
            longer = ent.start <= span.start and ent.end >= span.end and len(ent) > len(span)
            if ent.label_ == "DATE" and longer and re.search(r"\b(?:19|20)\d\d\b|\b(?:first|last|past|previous|next|this|these)\b", ent.text, re.I):
                return "date"  # "the first two months of 2024" is a date, not a duration
    return found.reason


def age_unit(span: Span, found: Found, plain: str, offset: int, domain: Domain) -> str:
    """The unit of a figure that gives someone's age ("" when it is none): "a 34-year-old",
    "45 years old", "aged 9 and 12", "under the age of five", "Ahmed, 34, lost a leg".
    `plain` is the sentence with numbers in digits, starting at document offset `offset`."""
    pat = _patterns(domain)
    kind = domain.unit_kinds.get(found.unit, "count")
    if kind not in ("count", "duration") or found.value <= 0:
        return ""
    unit = found.unit if kind == "duration" else "year"
    if kind == "duration" and pat.age_after is not None and pat.age_after.match(plain, found.end - offset):
        return unit  # "a 34-year-old", "1.2 million years old", "34 years of age"
    if found.value > domain.ages.oldest:
        return ""
    if pat.age_before is not None and pat.age_before.search(plain, 0, found.start - offset):
        return unit  # "aged 9 and 12", "the age of five"
    if kind != "count" or found.value != int(found.value):
        return ""
    doc = span.doc
    before = doc[span.start - 2 : span.start] if span.start >= 2 else None
    after = doc[span.end] if span.end < len(doc) else None
    if before is None or after is None or before[1].text not in (",", "(") or after.text != {",": ",", "(": ")"}[before[1].text]:
        return ""
    person = before[0]
    # a name: the tagger calls "Ahmed" an organisation as often as a person, and "Farah" a
    # person where it is a province ("Herat, 12, and Farah, 4"): a country or region is no one
    named = (person.ent_type_ == "PERSON" or (person.pos_ == "PROPN" and person.ent_type_ not in ("GPE", "LOC", "NORP", "FAC"))) and (
        domain.places.lookup(person.text, cities=False) is None
    )
    if named or person.lemma_.lower() in domain.ages.people or person.lower_ in domain.ages.people:
        return "year"  # "Ahmed, 34, lost a leg", "the shepherd (14)"
    return ""


def _is_noise(span: Span, found: Found, domain: Domain, kind: str) -> bool:
    """Figures that are never claims of any kind: dates, ordinals, labels, vague amounts."""
    doc = span.doc
    index = doc_index(doc)
    text = index.text
    sent_no = index.sent_no(span.start)
    sent = index.sents[sent_no]
    for ent in index.ents_over(sent, found.start, found.end):
        # the words right beside the number, inside the entity
        beside = re.search(r"\S*\s*$", text[ent.start_char : found.start]).group(0) + text[found.start : found.end] + re.match(r"\s*\S*", text[found.end : ent.end_char]).group(0)
        if ent.label_ in ("DATE", "TIME") and kind == "count" and (DATE_WORDS.search(beside) or YEAR_LIKE.match(span.text.strip())):
            return True  # "May 24-26", "2024", "4 a.m.": a number inside a date; the tagger
            # also calls "five thousand two hundred and forty" and "six a year earlier" dates
        if ent.label_ == "ORDINAL" and ORDINAL.search(ent.text) and found.unit != "fraction":
            return True  # "the 18th goal", "third": not "31pc", which the tagger also calls one
    # "one in four of the shells", "1 in 5 children": a ratio, both its numbers ("1 in Kabul"
    # is none)
    if kind == "count" and (
        (found.value == 1 and _patterns(domain).ratio.match(text, found.end))
        or re.search(r"\b(?:one|1)\s+in\s+(?:every\s+)?$", text[max(0, found.start - 16) : found.start], re.I)
    ):
        return True
    # "COVID-19", "F-16", "A350-900": a number glued by a hyphen to a word with letters is part
    # of a name
    if re.search(r"[A-Za-z][\w]*-$", text[max(0, found.start - 12) : found.start]):
        return True
    # "10 Downing Street", "42 Jalan Ampang": a number in an address
    after = doc[span.end : span.end + 4]
    for t in after:
        if t.lower_ in domain.street_words and (t.is_title or t.is_upper):
            return True
        if not t.is_title:
            break
    # "iPhone 15", "Boeing 737 MAX", "S&P 500", "No 10": a plain number right after the name
    # it labels, counting no noun of its own
    num, before = span[0], doc[span.start - 1] if span.start > 0 else None
    named = any(ent.label_ in ("PRODUCT", "WORK_OF_ART", "LAW", "EVENT", "FAC") for ent in index.ents_over(sent, found.start, found.end))
    counts = num.dep_ == "nummod" and num.head.i > num.i and num.head.pos_ == "NOUN" and not named  # "a Boeing 737 order"
    if (
        kind == "count" and before is not None and (before.pos_ == "PROPN" or before.text in ("No", "No.")) and not counts
        and re.fullmatch(r"\d+", span.text) and before.idx + len(before.text) + 1 == num.idx and before.ent_type_ not in ("GPE", "LOC", "NORP")
    ):
        return True
    first = span[0]
    if re.fullmatch(r"\d+(st|nd|rd|th)", first.text.lower()):
        return True
    # "3 May", "May 3": a day of a month, tagged as a date or not
    if kind == "count":
        pat = _patterns(domain)
        after = text[found.end : min(found.end + 12, sent.end_char)]
        before = text[max(sent.start_char, found.start - 12) : found.start]
        if found.value < 32 and (pat.month.match(after) or pat.month_before.search(before)):
            return True
    prev = doc[span.start - 1] if span.start > 0 else None
    if prev is not None and index.sent_no(prev.i) == sent_no:
        if prev.lower_ in domain.label_words or prev.lower_.rstrip(".") in domain.label_words:
            return True
        if prev.text in ("#", "№"):
            return True
    text = span.text.lower()
    if any(re.search(rf"\b{re.escape(v)}\b", text) for v in domain.vague) and not re.search(r"\d", text):
        return True
    if kind == "count" and YEAR_LIKE.match(span.text.strip()):
        nxt = doc[span.end] if span.end < len(doc) else None
        if nxt is None or nxt.pos_ not in ("NOUN", "ADJ", "PROPN") or index.sent_no(nxt.i) != sent_no:
            return True
    return False


@Language.factory(
    "claim_quantities",
    default_config={"models_dir": None, "max_surface_chars": 60},
)
def make_quantities(nlp: Language, name: str, models_dir: str | None, max_surface_chars: int):
    return QuantityFinder(load_domain(models_dir), max_surface_chars)


class QuantityFinder:
    def __init__(self, domain: Domain, max_surface_chars: int):
        self.domain = domain
        self.max_surface_chars = max_surface_chars
        self.reader = NumberReader(domain)
        # for "one person was killed", "left one soldier dead" (singles_harmed)
        self.harm_verbs = [spec.action for spec in domain.metrics if spec.family == "casualties" and spec.action]
        self.states = frozenset(w for ws in domain.parts.get("states", {}).values() for w in ws)
        words = [w for group in domain.number_words.values() for w in group] + ["dozen"]
        self.has_number = re.compile(r"\d|\b(?:" + "|".join(sorted(words)) + r")\b", re.IGNORECASE)
        teach_quantulum(domain)
        # quantulum3 builds its regular expressions (most of a second) on its first parse,
        # which most articles never ask for now: a one-article run does not wait for it

    def shared_codes(self, text: str) -> dict[str, str]:
        """Each shared currency symbol's currency in this article: the country it names most."""
        out = {}
        for k, shared in enumerate(self.domain.shared_currencies):
            counts: dict[str, int] = {}
            for place, code in shared.by_place:  # a country may be named several ways
                counts[code] = counts.get(code, 0) + len(re.findall(rf"\b{re.escape(place)}\b", text))
            best = max(counts.values(), default=0)
            out[f"shared:{k}"] = next((c for c, n in counts.items() if n == best), shared.default) if best else shared.default
        return out

    def singles_in_lists(self, doc: Doc, pairs: list[tuple[Span, Claim]]) -> list[tuple[Span, Claim]]:
        """"12 mines and a mortar shell": in a list of counted figures, "a", "an" or "one" is a
        figure of 1."""
        counted = set()
        for span, claim in pairs:
            if claim.kind != "count":
                continue
            for t in span:
                if t.dep_ in ("nummod", "quantmod") and t.head.pos_ in ("NOUN", "PROPN"):
                    counted.add(t.head.i)
        out = []
        for noun_i in counted:
            noun = doc[noun_i]
            siblings = [c for c in noun.children if c.dep_ == "conj"] + ([noun.head] if noun.dep_ == "conj" else [])
            for sib in siblings:
                if sib.pos_ not in ("NOUN", "PROPN") or sib.i in counted:
                    continue
                if sib.lemma_.lower() in self.domain.not_single.get("nouns", ()) or any(
                    c.dep_ == "amod" and c.lower_ in self.domain.not_single.get("adjectives", ()) for c in sib.children
                ):
                    continue
                dets = [c for c in sib.children if c.dep_ in ("det", "nummod") and c.lower_ in ("a", "an", "one")]
                if dets:
                    det = dets[0]
                    out.append((doc[det.i : det.i + 1], Claim(value=1.0, unit="count", kind="count")))
        return out

    def singles_harmed(self, doc: Doc, pairs: list[tuple[Span, Claim]]) -> list[tuple[Span, Claim]]:
        """"one person was killed", "a blast injured one farmer", "left one soldier dead": "one"
        is a figure of 1 when the person it counts is the one a casualty verb of the taxonomy
        acts on, or a state word ("dead", "wounded") follows it."""
        taken = {t.i for span, _c in pairs for t in span}
        index = doc_index(doc)
        out = []
        ones = (doc.to_array(LOWER) == doc.vocab.strings.add("one")).nonzero()[0]  # not a Token per word
        for i in ones.tolist():
            if i in taken:
                continue
            tok = doc[i]
            j = tok.i + 1
            if j < len(doc) and doc[j].i == tok.head.i and doc[j].pos_ == "NOUN":
                j += 1  # "one soldier dead"
            if j < len(doc) and doc[j].lower_ in self.states and index.sent_no(j) == index.sent_no(tok.i):
                out.append((doc[tok.i : tok.i + 1], Claim(value=1.0, unit="count", kind="count")))
                continue
            if tok.dep_ != "nummod":
                continue
            noun, verb = tok.head, tok.head.head
            if noun.dep_ not in ("nsubj", "nsubjpass", "dobj") or verb.pos_ not in ("VERB", "AUX"):
                continue
            if any(bag_matches(frozenset(words(verb)), action) for action in self.harm_verbs):
                out.append((doc[tok.i : tok.i + 1], Claim(value=1.0, unit="count", kind="count")))
        return out

    def __call__(self, doc: Doc) -> Doc:
        pairs = []
        index = doc_index(doc)
        decimal_comma = uses_decimal_comma(index.text)
        shared = SharedCodes(self, index.text)
        for sent in index.sents:
            text = index.span_text(sent)
            if not self.has_number.search(text) and not _patterns(self.domain).more_unit.search(text):
                continue  # no number, in digits or words, and no "another decade"
            plain, rewrites = self.reader.reading_text(text, decimal_comma)
            for read in find_in_text(plain, sent.start_char, self.domain, shared):
                f = read
                start, end = expand(f.start - sent.start_char, f.end - sent.start_char, rewrites)
                if ")" in text[start:end] and "(" not in text[start:end] and start and text[start - 1] == "(":
                    start -= 1  # "(39.675) million US dollars": the surface keeps both brackets
                f = replace(f, start=start + sent.start_char, end=end + sent.start_char)
                if f.end - f.start > self.max_surface_chars:
                    continue
                span = doc.char_span(f.start, f.end, alignment_mode="expand")
                if span is None or len(span) == 0 or span[0]._.bullet:
                    continue  # "2. Casualties": a numbered heading, not a figure
                age = age_unit(span, read, plain, sent.start_char, self.domain)
                if age:
                    pairs.append((span, Claim(value=f.value, unit=age, kind=self.domain.unit_kinds[age], bound=f.bound, reason="age")))
                    continue
                kind = self.domain.unit_kinds.get(f.unit, "count")
                if _is_noise(span, f, self.domain, kind):
                    continue
                claim = Claim(value=f.value, unit=f.unit, kind=kind, bound=f.bound, reason=_no_claim(span, f, kind))
                pairs.append((span, claim))
        # "one" alone is a claim only in a list of figures or as a casualty verb's object
        singles = [p for p in pairs if p[1].reason == "single"]
        pairs = [p for p in pairs if p[1].reason != "single"]
        pairs.extend(self.singles_in_lists(doc, pairs))
        pairs.extend(self.singles_harmed(doc, pairs))
        # one claim per span: when two figures expand to the same tokens keep the first
        seen: set[tuple[int, int]] = set()
        unique = []
        for span, claim in pairs + singles:
            key = (span.start_char, span.end_char)
            if key not in seen:
                seen.add(key)
                unique.append((span, claim))
        set_claims(doc, unique)
        return doc
