"""Step 5a: the time phrases of the article and what each one means.

Every sentence is read, not only those with figures: a period stated in a sentence with
no figure ("Between 1 January and 31 March 2024 our teams worked ...") governs the
figures of later sentences that point back to it ("During the quarter: ..."). Each phrase
is resolved to an end (`date`) and a start (`start`), each ISO 8601 at its precision:

- a date ("in 2023", "as of 30 June 2024", "last month"): its date;
- a period ("from 3 to 9 March 2025", "between January and September this year", "in
  the first eight months of 2023", "in 2018-2019", "last week", "so far this year"): end
  and start;
- a count start ("since 2000", "since the end of the war in 1975", "since the February 2021
  coup"): its start only (the count runs to publication);
- a pointer back ("during the same period", "since then", "that month", "the year
  before"): resolved later, by the document-context step.

The words that mark each kind are in models/cues.yaml (`dates`, `year_parts`). Short
phrases go to dateparser one at a time, English only, relative to the publication date,
and cached; never a whole sentence.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from dateparser.date import DateDataParser
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from ..domain import Domain, load_domain
from .claim import ensure_extensions
from .index import doc_index, has_verb

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}  # fmt: skip
WEEKDAYS = {d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
WEEKDAY = re.compile(r"(?P<last>last\s+)?(?P<day>" + "|".join(WEEKDAYS) + r")(?:,?\s+(?P<rest>.+))?")
AGO = re.compile(r"(?P<n>\d+|an?)\s+(?P<unit>years?|decades?|months?|days?)\s+ago")  # "25 years ago"; weeks have no precision
MON = r"(?:" + "|".join(sorted(MONTHS, key=lambda m: (-len(m), m))) + r")\.?"
YR = r"(?:19|20)\d\d"
DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# one end of a period: "3 March 2025", "March 3, 2025", "March 2025", "2025", "3", "March",
# "the end of August this year", "mid-December"
MOMENT = (
    rf"(?:the\s+(?:end|beginning|start|middle)\s+of\s+|mid-?|early\s+|late\s+)?"
    rf"(?:{DAY}\s+{MON}(?:,?\s+{YR})?|{MON}\s+{DAY}(?:,?\s+{YR})?|{MON}(?:\s+of)?(?:\s+{YR})?|{YR}|{DAY})"
    rf"(?:\s+(?:this|last)\s+year)?"
)
RANGE = re.compile(
    rf"(?<![\w-])(?:(?P<kw>from|between)\s+)?(?P<a>{MOMENT})\s*(?P<sep>-|–|—|to|and|through|until|till|up\s+to)\s*(?P<b>{DAY},?\s+{YR}|{MOMENT}|today|now|the\s+present|date)(?![\w-])",
    re.I,
)
YEAR_SPAN = re.compile(rf"(?<![\w-])(?P<a>{YR})\s*(?:-|–|—|/)\s*(?P<b>{YR}|\d\d)(?![\w-])")
DAY_NUM = re.compile(rf"^{DAY}$", re.I)
DAY_END = re.compile(rf"(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+({YR}))?")  # "26", "9, 2024"


@dataclass(frozen=True)
class Moment:
    """A point in time at the precision the text gives."""

    year: int | None = None
    month: int | None = None
    day: int | None = None

    def iso(self) -> str:
        if self.year is None:
            return ""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


def pub_date(published: str) -> date | None:
    parts = [int(p) for p in published.split("-")] if published else []
    if not parts:
        return None
    return date(parts[0], parts[1] if len(parts) > 1 else 12, parts[2] if len(parts) > 2 else 28)


def shift_years(iso: str, years: int) -> str:
    """'2023-08' one year earlier -> '2022-08'."""
    if not iso:
        return ""
    y, _, rest = iso.partition("-")
    return f"{int(y) + years:04d}" + (f"-{rest}" if rest else "")


def last_of_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def to_date(iso: str, end: bool = True) -> date | None:
    """The last (or first) day an ISO date at any precision covers."""
    if not iso:
        return None
    parts = [int(p) for p in iso.split("-")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else (12 if end else 1)
    day = parts[2] if len(parts) > 2 else (last_of_month(year, month) if end else 1)
    return date(year, month, day)


@lru_cache(maxsize=256)
def _dateparser(published: str) -> DateDataParser:
    """One parser per publication date: English only, dates from the past, relative to it."""
    settings = {"PREFER_DATES_FROM": "past"}
    base = pub_date(published)
    if base is not None:
        settings["RELATIVE_BASE"] = datetime(base.year, base.month, base.day)
    return DateDataParser(languages=["en"], settings=settings)


@lru_cache(maxsize=50000)
def parse_moment(text: str, published: str) -> Moment | None:
    """A short phrase naming one point in time -> Moment at its precision, or None."""
    pub = pub_date(published)
    t = text.lower().strip(" ,.;:()–—-")
    t = re.sub(r"^(?:as of|as at|as on|by|in|during|on|at|until|till|to|through|up to|of|the)\s+", "", t)
    t = re.sub(r"^(?:the\s+)?(?:end|close|middle|beginning|start|whole|course)\s+of\s+", "", t)
    t = re.sub(r"^(?:mid-?|early\s+|late\s+|earlier\s+)", "", t).strip()
    if pub is not None:
        if t in ("today", "now", "date", "the present", "present", "this week"):
            return Moment(pub.year, pub.month, pub.day)
        if t in ("this year", "the year", "year", "current year", "the current year"):
            return Moment(pub.year)
        if t in ("last year", "the previous year", "the past year"):
            return Moment(pub.year - 1)
        if t == "this month":
            return Moment(pub.year, pub.month)
        if t == "last month":
            prev = pub.replace(day=1) - timedelta(days=1)
            return Moment(prev.year, prev.month)
        t = re.sub(r"\bthis year\b", str(pub.year), t)
        t = re.sub(r"\blast year\b", str(pub.year - 1), t)
    if re.fullmatch(r"\d{4}s", t):
        return None  # a decade
    m = re.fullmatch(rf"({YR})", t)
    if m:
        return Moment(int(m.group(1)))
    m = re.fullmatch(rf"({MON})(?:\s+of)?(?:\s+({YR}))?", t)
    if m:
        month = MONTHS[m.group(1).rstrip(".")]
        year = int(m.group(2)) if m.group(2) else _year_for(month, None, pub)
        return Moment(year, month)
    m = re.fullmatch(rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+({MON})(?:,?\s+({YR}))?", t) or None
    if m:
        day, month = int(m.group(1)), MONTHS[m.group(2).rstrip(".")]
        year = int(m.group(3)) if m.group(3) else _year_for(month, day, pub)
        return _valid(year, month, day)
    m = re.fullmatch(rf"({MON})\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+({YR}))?", t)
    if m:
        month, day = MONTHS[m.group(1).rstrip(".")], int(m.group(2))
        year = int(m.group(3)) if m.group(3) else _year_for(month, day, pub)
        return _valid(year, month, day)
    m = WEEKDAY.fullmatch(t)
    if m and pub is not None:
        if m["rest"]:
            return parse_moment(m["rest"], published)  # "Sunday, March 2": the date it gives
        # "on Thursday": the latest Thursday up to publication, the day itself in a paper of
        # that day (news says "on Thursday" of today); "last Thursday" is at least a day before
        back = (pub.weekday() - WEEKDAYS[m["day"]]) % 7
        if m["last"] and back == 0:
            back = 7
        day = pub - timedelta(days=back)
        return Moment(day.year, day.month, day.day)
    m = AGO.fullmatch(t)
    if m and pub is not None:
        n = 1 if m["n"] in ("a", "an") else int(m["n"])
        unit = m["unit"].rstrip("s")
        if unit in ("year", "decade"):
            return Moment(pub.year - n * (10 if unit == "decade" else 1))  # "25 years ago"
        if unit == "month":
            months = pub.year * 12 + pub.month - 1 - n
            return Moment(months // 12, months % 12 + 1)
        day = pub - timedelta(days=n)
        return Moment(day.year, day.month, day.day)
    if re.fullmatch(r"\d+-(?:year|month|week|day|decade)s?", t):
        return None  # "the 44-day war": a duration
    if re.search(r"\b(?:century|centuries|decades)\b", t) and not re.search(rf"\b{YR}\b|\bago\b", t):
        return None  # "last century", "the past two decades": no moment a figure is dated by
    if re.fullmatch(r"(?:many|several|some|a\s+few|few)\s+(?:years|months|weeks|days|decades)\s+ago", t):
        return None  # "many years ago"
    if t.startswith("since ") or re.fullmatch(rf"{MON}\s*\d{{1,2}}\s*[-–]\s*\d{{1,2}}|\d{{1,2}}\s*[-–]\s*\d{{1,2}}\s*{MON}", t):
        return None  # "since 2019" starts a period (since_phrases); "May 24-26": days, no one moment
    # dateparser reads "15 years" as fifteen years ago: a duration is not a date, so only a
    # phrase with a year, a month, a weekday or a word of time relative to today goes to it
    if not re.search(rf"\b{YR}\b|\b{MON}\b|day\b|\b(?:yesterday|today|ago|last|this|past|previous)\b", t) or re.fullmatch(r"[\w-]+\s+(?:years?|months?|weeks?|days?|decades?)", t):
        return None
    try:
        data = _dateparser(published).get_date_data(t)
    except Exception:  # noqa: BLE001 - dateparser raises several kinds on odd input
        return None
    if data is None or data.date_obj is None:
        return None
    d, period = data.date_obj, data.period or "day"
    if pub is not None and not re.search(rf"\b{YR}\b", t) and abs(d.year - pub.year) > 30:
        return None  # "may 24-26" read as 1926: a year no word of the phrase gives
    if period == "year":
        return Moment(d.year)
    if period == "month":
        return Moment(d.year, d.month)
    if period == "day":
        return Moment(d.year, d.month, d.day)
    return None


def _year_for(month: int, day: int | None, pub: date | None) -> int | None:
    """A month named without a year is the latest one not after publication."""
    if pub is None:
        return None
    if (month, day or 1) > (pub.month, pub.day):
        return pub.year - 1
    return pub.year


def _valid(year: int | None, month: int, day: int) -> Moment | None:
    if year is None or day > last_of_month(year, month):
        return None
    return Moment(year, month, day)


def parse_range(a: str, b: str, published: str) -> tuple[str, str] | None:
    """(end, start) of "3 to 9 March 2025", "January-August", "1979 to August 2023"."""
    pub = pub_date(published)
    b_low = b.lower().strip()
    if b_low in ("today", "now", "the present", "date"):
        end = Moment(pub.year, pub.month, pub.day) if pub else None
    elif day_b := DAY_END.fullmatch(b_low):
        # "May 24-26", "from June 3 to 9, 2024": the second end borrows the first's month and year
        first = parse_moment(a, published)
        if first is None or first.day is None:
            return None
        day = int(day_b.group(1))
        year = int(day_b.group(2)) if day_b.group(2) else first.year
        if not day_b.group(2) and re.search(YR, a) is None and pub is not None:
            year = _year_for(first.month, day, pub)
        end = _valid(year, first.month, day)
        if end is None or day <= first.day:
            return None
        return end.iso(), Moment(year, first.month, first.day).iso()
    else:
        end = parse_moment(b, published)
    if end is None or end.year is None:
        return None
    if end.month is None and re.match(r"\s*the\s+end\s+of\b", b, re.I):
        end = Moment(end.year, 12)  # "from 2002 to the end of 2024"
    a_text = a.strip()
    if DAY_NUM.match(a_text) and end.month is not None:
        # "3 to 9 March": the first end borrows the month and year of the second
        start = _valid(end.year, end.month, int(re.match(r"\d+", a_text).group(0)))
    else:
        start = parse_moment(a_text, published)
        if start is not None and start.year is not None and not re.search(YR, a_text) and end.month is not None:
            # "1 July – 30 September 2024", "January-August 2023": the year of the second end
            start = Moment(end.year, start.month, start.day) if start.month else start
            if start.month and start.month > end.month:
                start = Moment(end.year - 1, start.month, start.day)
    if start is None or start.year is None:
        return None
    if re.search(r"\bend\s+of\b", a_text, re.I) and start.month is None:
        start = Moment(start.year, 12)
    if (start.year, start.month or 0, start.day or 0) > (end.year, end.month or 99, end.day or 99):
        return None
    return end.iso(), start.iso()


@dataclass
class TimePhrase:
    """A time phrase of the article (token offsets into the doc) and what it means."""

    start: int
    end: int
    text: str
    kind: str  # "date", "period", "since", "pointer", "since_pointer", "relative", "mirror"
    date: str = ""  # the end, ISO at its precision ("" for a count that runs to publication)
    begin: str = ""  # the start, ISO at its precision
    attach: int = -1  # the token the phrase hangs on
    sent: int = 0  # the start token of its sentence
    header: bool = False  # a line with no verb: a dateline ("Lima, 21 June 2023") or a header
    tokens: frozenset[int] = field(default_factory=frozenset)
    relative: bool = False  # in a relative clause: about the noun it describes ("mines, most of which date back to 1942")

    @property
    def point(self) -> str:
        """The point in time this phrase names, for "since then" after it."""
        return self.date or self.begin


@Language.factory("claim_date_phrases", default_config={"models_dir": None})
def make_date_phrases(nlp: Language, name: str, models_dir: str | None):
    return PhraseFinder(load_domain(models_dir))


def cue_of(root: Token, stop: int | None = None) -> tuple[list[Token], Token]:
    """The prepositions that govern a phrase whose head is `root`, outermost last, and the
    token they hang on ("as of 30 June" -> [of, as], the verb)."""
    preps: list[Token] = []
    t = root
    while t.dep_ in ("pobj", "pcomp") and t.head.i != t.i:
        prep = t.head
        preps.append(prep)
        t = prep.head
        # two-word prepositions: "as of", "up to", "because of"
        while t.dep_ == "prep" and t.pos_ in ("ADP", "SCONJ", "ADV") and t.i == preps[-1].i - 1 and t.head.i != t.i:
            preps.append(t)
            t = t.head
        # a date inside a noun phrase ("the end of the war in 2020") belongs to the phrase;
        # under a number ("up from 12 in 2020") it dates that number
        if t.dep_ not in ("pobj", "pcomp") or t.pos_ not in ("NOUN", "PROPN"):
            break
    if not preps:
        return preps, root.head
    return preps, preps[-1].head


class PhraseFinder:
    def __init__(self, domain: Domain):
        self.domain = domain
        cues = domain.date_cues
        self.since = tuple(sorted({w.lower() for w in cues.get("since", ())}, key=lambda w: (-len(w), w)))
        self.since_words = {w for w in self.since if " " not in w}
        self.when_words = {w.lower() for w in cues.get("when_before_since", ())}
        self.today = _phrase_re(cues.get("today", ()))
        self.pointers = _phrase_re(cues.get("pointers", ()))
        self.since_pointers = _phrase_re(cues.get("since_pointers", ()))
        self.then_pointers = _phrase_re(cues.get("then_pointers", ()))
        self.statement_pointers = _phrase_re(cues.get("statement_pointers", ()))
        self.not_since_after = {w.lower() for w in cues.get("not_since_after", ())}
        self.relative = _phrase_re(cues.get("year_before", ()))
        self.mirror = _phrase_re(cues.get("same_period_last_year", ()))
        self.so_far_this_year = _phrase_re(cues.get("so_far_this_year", ()))
        self.name_nouns = {w.lower() for w in cues.get("named_by_year", ())}
        self.start_verbs = {w.lower() for w in cues.get("start_verbs", ())}
        self.parts = domain.year_parts
        self.parts_re = re.compile(
            r"\b(?:in\s+|during\s+|over\s+|for\s+)?the\s+(?P<part>" + "|".join(re.escape(p) for p in sorted(self.parts, key=lambda p: (-len(p), p)))
            + rf")(?:\s+(?:of\s+)?(?P<when>{YR}|(?:the|this)\s+(?:current\s+)?year|last\s+year|the\s+previous\s+year))?\b",
            re.I,
        ) if self.parts else None

    # -- the pieces of one sentence -------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        published = doc._.published or ""
        found: list[TimePhrase] = []
        for sent in doc_index(doc).sents:
            found.extend(self.in_sentence(sent, published))
        for ph in found:
            ph.relative = in_relative_clause(doc[ph.attach])
        doc._.time_phrases = sorted(found, key=lambda p: (p.start, p.end))
        return doc

    def in_sentence(self, sent: Span, published: str) -> list[TimePhrase]:
        doc = sent.doc
        text = doc_index(doc).span_text(sent)
        if text.isspace():
            return []  # a sentence left blank for the parser (pipeline.selection)
        header = not has_verb(sent)
        out: list[TimePhrase] = []
        taken: set[int] = set()

        def add(char_start: int, char_end: int, kind: str, end: str, begin: str, attach: Token | None = None) -> TimePhrase | None:
            span = doc.char_span(sent.start_char + char_start, sent.start_char + char_end, alignment_mode="expand")
            if span is None or len(span) == 0 or any(t.i in taken for t in span):
                return None
            if attach is None:
                first = span[0]
                attach = first.head if first.dep_ == "prep" else _attach_of(span)
            ph = TimePhrase(span.start, span.end, span.text, kind, end, begin, attach.i, sent.start, header, frozenset(t.i for t in span))
            taken.update(ph.tokens)
            out.append(ph)
            return ph

        low = text.lower()
        # pointers first: "over the same period last year", "since then", "the year before"
        for rx, kind in ((self.mirror, "mirror"), (self.since_pointers, "since_pointer"), (self.then_pointers, "then"), (self.statement_pointers, "said_pointer"), (self.pointers, "pointer"), (self.relative, "relative")):
            if rx is None:
                continue
            for m in rx.finditer(low):
                add(m.start(), m.end(), kind, "", "")
        # "so far this year", "since the start of the year": the year so far
        if self.so_far_this_year is not None:
            pub = pub_date(published)
            for m in self.so_far_this_year.finditer(low):
                if pub is not None:
                    add(m.start(), m.end(), "period", published, f"{pub.year:04d}-01")
        # "last week": the previous calendar week, Monday to Sunday
        for m in re.finditer(r"\blast\s+week\b", low):
            pub = pub_date(published)
            if pub is not None:
                monday = pub - timedelta(days=pub.weekday() + 7)
                add(m.start(), m.end(), "period", (monday + timedelta(days=6)).isoformat(), monday.isoformat())
        # "over the past year", "in the last six months": a span back from publication
        for m in re.finditer(r"\b(?:over|in|during)\s+the\s+(?:past|last|previous)\s+(?:(?P<n>\w+)\s+)?(?P<unit>years?|months?)\b", low):
            if m["n"] in ("week", None) and m["unit"] is None:
                continue
            pub = pub_date(published)
            n = _small_number(m["n"]) if m["n"] else 1
            if pub is None or n is None:
                continue
            if m["unit"].startswith("year"):
                add(m.start(), m.end(), "period", published, f"{pub.year - n:04d}")
            else:
                months = pub.year * 12 + pub.month - 1 - n
                add(m.start(), m.end(), "period", published, f"{months // 12:04d}-{months % 12 + 1:02d}")
        # "from 3 to 9 March 2025", "between January and September 2022", "1979 to August 2023"
        for m in RANGE.finditer(text):
            if not re.search(YR + "|" + MON, m["a"] + " " + m["b"], re.I):
                continue  # "between 6 and 14": ages, not days
            if m["sep"].lower() == "and" and (m["kw"] or "").lower() != "between":
                continue  # "in March and 2,000 mines": not a range
            if not m["kw"] and DAY_NUM.match(m["a"].strip()) and DAY_NUM.match(m["b"].strip()):
                continue
            resolved = parse_range(m["a"], m["b"], published)
            if resolved and resolved[0] != resolved[1]:
                add(m.start(), m.end(), "period", resolved[0], resolved[1])
        for m in YEAR_SPAN.finditer(text):
            a, b = m["a"], m["b"]
            b = b if len(b) == 4 else a[:2] + b
            if a < b:
                add(m.start(), m.end(), "period", b, a)
        # "in the first eight months of 2023", "the first half of the year"
        if self.parts_re is not None:
            for m in self.parts_re.finditer(text):
                first, last = self.parts[m["part"].lower()]
                if m["when"]:
                    year = parse_moment(m["when"], published)
                else:
                    # "in the first quarter": of the publication year, or of the year before
                    # when that part has not ended yet
                    pub = pub_date(published)
                    if pub is None or first == last or not m.group(0).lower().startswith(("in ", "during ", "over ", "for ")):
                        continue
                    year = Moment(pub.year if (pub.month > last) else pub.year - 1)
                if year is None or year.year is None:
                    continue
                end, begin = f"{year.year:04d}-{last:02d}", f"{year.year:04d}-{first:02d}"
                kind = "period" if first != last else "date"
                add(m.start(), m.end(), kind, end, begin if kind == "period" else "")
        # "since 2000", "since the end of the war in 1975", "since the February 2021 coup"
        for ph in self.since_phrases(sent, taken, published):
            taken.update(ph.tokens)
            out.append(ph)
        # every other date entity: "in 2023", "as of 30 June", "on Sunday, March 2"
        for ent in doc_index(doc).ents_in(sent):
            if ent.label_ != "DATE" or any(t.i in taken for t in ent):
                continue
            if self.names_a_thing(ent):
                continue  # "the 1997 Mine Ban Treaty": a year in a name
            if re.search(r"\bsince\b", ent.text, re.I):
                continue  # "the first time since 2021": a comparison, not a date
            moment = parse_moment(ent.text, published)
            if self.today is not None and self.today.fullmatch(ent.text.lower().strip()):
                moment = parse_moment("today", published)
            if moment is None or moment.year is None:
                continue
            preps, attach = cue_of(ent.root)
            start = preps[-1].i if preps else ent.start
            # a date on a verb of beginning starts a count: "an NGO that began surveying in 2023
            # has so far recorded 24 areas", "The unit was set up in 2011. Since then ..."
            kind, end, begin = "date", moment.iso(), ""
            starts = attach.lemma_.lower() in self.start_verbs or (attach.dep_ in ("prt", "xcomp") and attach.head.lemma_.lower() in self.start_verbs)
            if starts:
                kind, end, begin = "since", "", moment.iso()
            ph = TimePhrase(start, ent.end, doc[start : ent.end].text, kind, end, begin, attach.i, sent.start, header, frozenset(range(start, ent.end)))
            taken.update(ph.tokens)
            out.append(ph)
        # "In 2023 landmines injured 21 people", "Since 2019 mines have killed ...": a year
        # after a time preposition that the tagger did not call a date, or the parser made
        # the number of the next noun
        for m in re.finditer(rf"(?<![\w-])(?P<prep>in|during|throughout|since)\s+(?P<year>{YR})(?![\w-])", text, re.I):
            if m["prep"].lower() == "since":
                add(m.start(), m.end(), "since", "", m["year"])
            else:
                add(m.start(), m.end(), "date", m["year"], "")
        # "to date", "so far", "currently": the publication date
        if self.today is not None:
            for m in self.today.finditer(low):
                add(m.start(), m.end(), "date", published, "")
        return out

    def names_a_thing(self, ent: Span) -> bool:
        """A year that modifies a noun names the thing ("the 1997 Mine Ban Treaty", "the 2016
        peace accord"), unless the noun is a time ("the 2024 budget", "the 2018-2023 period")."""
        root = ent.root
        if root.dep_ not in ("compound", "nummod", "amod", "nmod") or root.head.pos_ not in ("NOUN", "PROPN"):
            return False
        return root.head.lemma_.lower() not in self.name_nouns

    def since_phrases(self, sent: Span, taken: set[int], published: str) -> list[TimePhrase]:
        """"since ...", "after ...", "following ...": the start of a count, resolved here when
        the phrase states a date, or later through a known event (document context)."""
        out = []
        doc = sent.doc
        for tok in sent:
            if tok.i in taken or tok.lower_ not in self.since_words or tok.dep_ not in ("prep", "mark", "advmod"):
                continue
            if tok.lower_ == "from":
                continue  # "from" alone starts too many things that are not dates
            prev = doc[tok.i - 1] if tok.i > sent.start else None
            if prev is not None and (prev.like_num or prev.lemma_.lower() in self.when_words):
                continue  # "decades after the civil war ended": when, not since when
            if tok.lower_ == "since" and any(t.lower_ in self.not_since_after for t in doc[max(sent.start, tok.i - 4) : tok.i]):
                continue  # "for the first time since 2021": a comparison, not the start of a count
            if tok.dep_ == "mark":
                # "since the programme began in 2019": the clause the word introduces
                clause = tok.head
                sub = sorted([tok, *clause.subtree], key=lambda t: t.i)
                attach = clause.head
            else:
                sub = list(tok.subtree)
                attach = tok.head
            if len(sub) < 2 or any(t.i in taken for t in sub):
                continue
            span = doc[sub[0].i : sub[-1].i + 1]
            begin = self.stated_start(span, published)
            out.append(TimePhrase(span.start, span.end, span.text, "since", "", begin, attach.i, sent.start, False, frozenset(t.i for t in span)))
        return out

    def stated_start(self, span: Span, published: str) -> str:
        """The date a "since" phrase writes, at the precision written: "since 21 September
        2014" -> 2014-09-21, "since the end of the war in 1975" -> 1975; "" when it only names
        an event."""
        # "since the start of fiscal year 2025 on 1 October 2024": the most precise date in it
        moments = [parse_moment(e.text, published) for e in doc_index(span.doc).ents_in(span) if e.label_ == "DATE"]
        moments = [m for m in moments if m is not None and m.year is not None]
        if moments:
            return max(moments, key=lambda m: (m.day is not None, m.month is not None)).iso()
        years = set(re.findall(rf"\b{YR}\b", span.text))
        if len(years) == 1:
            return years.pop()
        rest = re.sub(r"^\s*\w+\s+", "", span.text)  # "since January" -> "January"
        if re.fullmatch(rf"(?:the\s+start\s+of\s+|the\s+beginning\s+of\s+)?{MON}(?:\s+{YR})?|today|last\s+year|this\s+year", rest.strip(), re.I):
            m = parse_moment(rest, published)
            if m is not None and m.year is not None:
                return m.iso()
        return ""


def in_relative_clause(tok: Token) -> bool:
    """A token inside a relative clause ("..., most of which date back to 1942")."""
    t = tok
    for _ in range(10):
        if any(c.tag_ in ("WDT", "WP", "WP$") for c in t.children) or t.dep_ == "relcl":
            return True
        if t.head.i == t.i or t.pos_ in ("VERB", "AUX") and t.dep_ in ("ROOT", "ccomp", "conj"):
            return False
        t = t.head
    return False


def _attach_of(span: Span) -> Token:
    preps, attach = cue_of(span.root)
    return attach


def _phrase_re(phrases) -> re.Pattern | None:
    words = sorted({p.lower() for p in phrases}, key=lambda p: (-len(p), p))
    if not words:
        return None
    # "#" stands for any one word: "in the # decades since"
    parts = [re.escape(p).replace(r"\ ", r"\s+").replace(r"\#", r"[\w-]+") for p in words]
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


def _small_number(word: str) -> int | None:
    words = "one two three four five six seven eight nine ten eleven twelve".split()
    if word.isdigit():
        return int(word)
    return words.index(word) + 1 if word in words else None


if not Doc.has_extension("time_phrases"):
    Doc.set_extension("time_phrases", default=[])
ensure_extensions()
