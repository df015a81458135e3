"""Step 5: the as-of date and the start of the count.

A date phrase (a spaCy DATE entity) dates a figure when it hangs on the figure's own
clause: its noun, the path to its verb, or the verbs above it ("By November 30, 2024,
... cleared"), and not on a verb of saying ("said on Saturday"). Its cue word decides
its role: "as of", "by", "in" give the as-of date; "since", "after", "following" give
`period_start`, for the whole sentence. A known event ("since the end of the war")
resolves through models/events.yaml. Otherwise the publication date stands.

Phrases go to dateparser one at a time, English only, relative to the publication
date, and cached: never a whole sentence.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from functools import lru_cache

from dateparser.date import DateDataParser
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from ..domain import Domain, load_domain
from .claim import Claim, claim_spans, set_claims
from .syntax import climb, counted_noun, own_clause

MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
).split()
DATE_WORDS = re.compile(r"\b(?:\d{4}|" + "|".join(MONTHS) + r"|year|month|week|yesterday|ago|today)\b", re.I)
YEAR_RANGE = re.compile(r"\b((?:19|20)\d\d)\s*(?:-|–|—|to|and|through|until)\s*((?:19|20)?\d\d)\b")
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# "from 2020 to 2023", "between 2019 and 2021", "in 2020-2023": spaCy often tags one year only
RANGE_PHRASE = re.compile(
    r"\b(?:(?:from|between|in|during|over)\s+)?((?:19|20)\d\d)\s*(?:-|–|—|to|and|through|until)\s*((?:19|20)\d\d)\b",
    re.I,
)


@lru_cache(maxsize=256)
def _dateparser(published: str) -> DateDataParser:
    """One parser per publication date: English only, relative to that date."""
    settings = {"PREFER_DATES_FROM": "past"}
    base = base_datetime(published)
    if base is not None:
        settings["RELATIVE_BASE"] = base
    return DateDataParser(languages=["en"], settings=settings)


def base_datetime(published: str) -> datetime | None:
    parts = [int(p) for p in published.split("-")] if published else []
    if not parts:
        return None
    year = parts[0]
    month = parts[1] if len(parts) > 1 else 7
    day = parts[2] if len(parts) > 2 else (15 if len(parts) > 1 else 1)
    return datetime(year, month, day)


@lru_cache(maxsize=50000)
def resolve_phrase(phrase: str, published: str, periods: tuple[tuple[str, int], ...] = ()) -> str:
    """A short date phrase -> ISO 8601 at the precision it states, or ''."""
    text = phrase.lower().strip(" ,.;:")
    text = re.sub(r"^(?:as of|as at|as on|by|in|during|since|from|until|till|through|up to|on|at|to)\s+", "", text)
    if re.search(r"\b\d{4}s\b", text):
        return ""  # a decade
    if published:
        text = re.sub(r"\b(?:of\s+)?(?:the|this)\s+year\b", lambda m: ("of " if m.group(0).startswith("of") else "") + published[:4], text)
    years = YEAR.findall(text)
    # "the first half of 2024", "the end of 2023"
    for words_, month in periods:
        m = re.search(rf"\b{re.escape(words_)}\s+of\s+(?:the\s+year\s+)?((?:19|20)\d\d)\b", text)
        if m and len(years) == 1:
            return f"{m.group(1)}-{month:02d}"
    # "mid-December 2024", "early 2023", "late November": keep the precision, drop the hedge
    text = re.sub(r"\b(?:mid|early|late|the end of|end of|the beginning of|beginning of|the start of|start of|the middle of|middle of)[\s-]+", "", text)
    text = re.sub(r"^the\s+", "", text).strip()
    if re.fullmatch(r"(?:19|20)\d\d", text):
        return text
    # "January-March 2024": the end of the span
    m = re.fullmatch(
        rf"(?:between\s+|from\s+)?({'|'.join(MONTHS)})\.?\s*(?:[-–—]|and|to|through|until)\s*({'|'.join(MONTHS)})\.?(\s+(?:19|20)\d\d)?",
        text,
    )
    if m:
        text = (m.group(2) + (m.group(3) or "")).strip()
    if not DATE_WORDS.search(text):
        return ""
    try:
        data = _dateparser(published).get_date_data(text)
    except Exception:
        return ""
    if data is None or data.date_obj is None:
        return ""
    d = data.date_obj
    period = data.period or "day"
    if period == "year":
        return f"{d.year:04d}"
    if period == "month":
        return f"{d.year:04d}-{d.month:02d}"
    if period == "day":
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    return ""


def not_after(iso: str, published: str) -> bool:
    """An as-of date later than the publication date is a target, not a date for a figure."""
    if not published or not iso:
        return True
    n = min(len(iso), len(published))
    return iso[:n] <= published[:n]


def _cue_of(ent: Span) -> tuple[list[Token], Token]:
    """The prepositions that govern a date phrase, outermost last, and what they attach to."""
    preps: list[Token] = []
    t = ent.root
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
        return preps, ent.root.head
    return preps, preps[-1].head


def _starts_with(words: list[str], phrases: tuple[str, ...]) -> bool:
    for p in phrases:
        pw = p.lower().split()
        if words[: len(pw)] == pw:
            return True
    return False


class _Phrase:
    """A date phrase in a sentence and what it means for the figures there."""

    def __init__(self, text: str, role: str, attach: Token, tokens: set[int], date_text: str = ""):
        self.text = text
        self.role = role  # "as_of", "since", "range"
        self.attach = attach
        self.tokens = tokens
        self.date_text = date_text  # the date entity inside a longer phrase, if any


@Language.factory("claim_dates", default_config={"models_dir": None})
def make_dates(nlp: Language, name: str, models_dir: str | None):
    return DateFinder(load_domain(models_dir))


class DateFinder:
    def __init__(self, domain: Domain):
        self.domain = domain
        self.cues = domain.date_cues
        self.periods = tuple(sorted(domain.date_periods.items(), key=lambda kv: -len(kv[0])))
        self.speech = {w.lower() for w in self.cues.get("speech_verbs", ())}
        self.since = tuple(w.lower() for w in self.cues.get("since", ()))
        self.since_words = {w for w in self.since if " " not in w}
        self.when_words = {w.lower() for w in self.cues.get("when_before_since", ())}

    def resolve(self, text: str, published: str) -> str:
        return resolve_phrase(text, published, self.periods)

    # -- finding the phrases ------------------------------------------------------------------
    def phrases(self, sent: Span, claim_tokens: set[int]) -> list[_Phrase]:
        out: list[_Phrase] = []
        covered: set[int] = set()
        for m in RANGE_PHRASE.finditer(sent.text):
            span = sent.doc.char_span(sent.start_char + m.start(), sent.start_char + m.end(), alignment_mode="expand")
            if span is None or any(t.i in claim_tokens for t in span):
                continue
            first = span[0]
            attach = first.head if first.dep_ == "prep" else span.root.head
            tokens = {t.i for t in span}
            covered |= tokens
            out.append(_Phrase(span.text, "range", attach, tokens))
        for ent in sent.ents:
            if ent.label_ != "DATE" or any(t.i in claim_tokens or t.i in covered for t in ent):
                continue
            preps, attach = _cue_of(ent)
            cue_words = [t.lower_ for t in sent.doc[preps[-1].i : ent.start]] if preps else []
            before = [t.lower_ for t in sent.doc[max(sent.start, ent.start - 3) : ent.start]]
            tokens = {t.i for t in ent} | {p.i for p in preps}
            if YEAR_RANGE.search(ent.text) or (cue_words[:1] == ["from"] and re.search(r"\bto\b|-|–", ent.text)):
                role = "range"
            elif _starts_with(cue_words, self.since) or (before and before[-1] in self.since_words):
                role = "since"
            elif attach.lemma_.lower() in self.speech and self._dates_statement(cue_words, ent.text):
                continue
            else:
                role = "as_of"
            if role == "since" and preps:
                text = sent.doc[preps[-1].i : preps[-1].right_edge.i + 1].text
                tokens |= {t.i for t in preps[-1].subtree}
            else:
                text = ent.text
            covered |= tokens
            out.append(_Phrase(text, role, attach, tokens, ent.text))
        # "since the end of the conflict", "after the 44-day war": no DATE entity needed
        for tok in sent:
            if tok.i in covered or tok.lower_ not in self.since_words or tok.dep_ not in ("prep", "mark", "advmod"):
                continue
            if tok.lower_ == "from":
                continue  # "from" alone starts too many things that are not dates
            prev = sent.doc[tok.i - 1] if tok.i > sent.start else None
            if prev is not None and (prev.like_num or prev.lemma_.lower() in self.when_words):
                continue  # "decades after the civil war ended": when, not since when
            if tok.dep_ == "mark":
                # "since our programme began in 1998": the clause the word introduces
                clause = tok.head
                sub = list(clause.subtree)
                if any(t.i in claim_tokens for t in sub):
                    continue
                dates = [e.text for e in sent.ents if e.label_ == "DATE" and e.start >= sub[0].i and e.end <= sub[-1].i + 1]
                out.append(_Phrase(sent.doc[sub[0].i : sub[-1].i + 1].text, "since", clause.head, {t.i for t in sub}, dates[0] if dates else ""))
                continue
            sub = list(tok.subtree)
            if len(sub) < 2 or any(t.i in claim_tokens for t in sub):
                continue
            out.append(_Phrase(sent.doc[sub[0].i : sub[-1].i + 1].text, "since", tok.head, {t.i for t in sub}))
        return out

    @staticmethod
    def _dates_statement(cue_words: list[str], text: str) -> bool:
        """A date on a verb of saying dates the statement when it is a day ("said on
        Saturday", "announced on 3 May"); "reported 57 casualties in 2022" keeps its year."""
        if cue_words[:1] == ["on"] or not cue_words:
            return True
        return bool(re.search(r"\b\d{1,2}\b(?!\d)", YEAR.sub("", text)))

    # -- resolving -------------------------------------------------------------------------------
    def event_start(self, text: str, places: set[str], doc_text: str = "") -> str:
        """The month a known event ended, when the phrase names it ("after the 44-day war")
        or says "the war" in an article that names it or states its year."""
        low = text.lower()
        stated = YEAR.findall(low)
        candidates = [e for e in self.domain.events if any(p in places for p in e.places)]
        for e in candidates:
            if any(p in low for p in e.phrases) and (not stated or (e.year and str(e.year) in stated)):
                return e.end
        if any(g in low for g in self.domain.generic_events):
            doc_low = doc_text.lower()
            named = [
                e
                for e in candidates
                if (stated and e.year and str(e.year) in stated) or (not stated and any(p in doc_low for p in e.phrases))
            ]
            if named:
                return max(named, key=lambda e: e.end).end
        return ""

    def period_start(self, phrase: _Phrase, published: str, places: set[str], doc_text: str = "") -> str:
        event = self.event_start(phrase.text, places, doc_text)
        explicit = ""
        if phrase.date_text and phrase.date_text != phrase.text:
            # "since the start of the full-scale invasion in February 2022": the date in it
            explicit = self.resolve(phrase.date_text, published)
        if not explicit and DATE_WORDS.search(phrase.text):
            explicit = self.resolve(phrase.text, published)
        # a known event is more precise than the bare year it is named with
        if event and (not explicit or len(explicit) <= 4):
            return event
        if not explicit:
            # "since the end of the civil war in 2009": the one year the phrase states
            years = YEAR.findall(phrase.text)
            if len(set(years)) == 1:
                explicit = years[0]
        return explicit

    def __call__(self, doc: Doc) -> Doc:
        published = doc._.published or ""
        spans = claim_spans(doc)
        # figures that fit no metric do not hide a date phrase
        claim_tokens = {t.i for s in spans if s._.claim.metric != "other" for t in s}
        # the tokens that carry another figure: a date on them is that figure's own
        figure_tokens: dict[int, set[int]] = {}
        for s in spans:
            number, noun = counted_noun(s)
            figure_tokens[s.start] = {t.i for t in s if t.like_num} or {number.i}
            if noun.dep_ == "pobj":
                figure_tokens[s.start].add(noun.head.i)  # "down from 1,174 km² in 2000"
        by_sent: dict[int, list[_Phrase]] = {}
        wide_reach = [self.reach(span, cross_clauses=True) for span in spans]
        reaches: dict[int, list[dict[int, int]]] = {}
        for span, r in zip(spans, wide_reach):
            reaches.setdefault(span.sent.start, []).append(r)
        pairs = []
        for k, span in enumerate(spans):
            claim: Claim = span._.claim
            sent = span.sent
            if sent.start not in by_sent:
                by_sent[sent.start] = self.phrases(sent, claim_tokens)
            phrases = by_sent[sent.start]
            reach = self.reach(span)
            places = {p.lower() for p in (claim.location, doc._.place) if p}
            date, start = "", ""
            best, best_d = None, 0
            for ph in phrases:
                if ph.role not in ("as_of", "range"):
                    continue
                d = reach.get(ph.attach.i)
                theirs = any(ph.attach.i in toks for k, toks in figure_tokens.items() if k != span.start)
                if d is None and not theirs and self.same_clause(ph.attach, reach):
                    d = 50  # "cleared 40 ha and 1,500 m² of roads last month": the clause's date
                if d is None and self.closing_conjunct(ph, span, reach):
                    d = 60  # "800 ha were cleared and 1,600 mines destroyed in 2022"
                if d is not None and (best is None or d < best_d):
                    best, best_d = ph, d
            if best is not None:
                if best.role == "range":
                    m = YEAR_RANGE.search(best.text)
                    if m:
                        a, b = m.group(1), m.group(2)
                        b = b if len(b) == 4 else a[:2] + b
                        date, start = b, a
                else:
                    date = self.resolve(best.text, published)
                if date and not not_after(date, published):
                    date, start = "", ""
            spec = self.domain.metric(claim.metric)
            cumulative = spec is None or spec.cumulative
            # a stock or an estimate starts no count with "since"/"after" (a stated range
            # such as "between 1964 and 1973" still bounds it)
            if not start and cumulative:
                since = [p for p in phrases if p.role == "since"]
                wide = dict(wide_reach[k])
                # "18,900 hazardous areas covering 2,900 km² since 1989": a phrase on a
                # participle describing the counted noun dates the noun too
                _number, noun = counted_noun(span)
                for c in noun.children:
                    if c.dep_ in ("acl", "relcl"):
                        wide.setdefault(c.i, 40)
                attached = [p for p in since if p.attach.i in wide]
                # a "since" phrase on another figure's own clause is that figure's alone
                floating = [p for p in since if not any(p.attach.i in r for r in reaches.get(sent.start, ()))]
                for ph in attached or floating:
                    start = self.period_start(ph, published, places, doc.text)
                    if start:
                        break
            basis = "stated" if date else "published"
            pairs.append((span, replace(claim, date=date or published, date_basis=basis, period_start=start)))
        set_claims(doc, pairs)
        return doc

    @staticmethod
    def closing_conjunct(ph: _Phrase, span: Span, reach: dict[int, int]) -> bool:
        """A date after the last of two coordinated verbs, when the first has none of its own,
        dates both: "800 ha were cleared and 1,600 mines destroyed in 2022"."""
        verb = ph.attach
        if verb.pos_ not in ("VERB", "AUX") or verb.dep_ != "conj" or verb.head.i not in reach:
            return False
        return min(ph.tokens) > span.end

    @staticmethod
    def same_clause(tok: Token, reach: dict[int, int]) -> bool:
        """A date on a noun or number whose governing verb is on this figure's path."""
        t = tok
        for _ in range(8):
            if t.pos_ in ("VERB", "AUX") and t.dep_ not in ("pobj", "pcomp"):
                return False  # it has a verb of its own ("manufactured in 2021"); "on demining" is a noun
            if t.head.i == t.i:
                return False
            t = t.head
            if t.pos_ in ("VERB", "AUX"):
                return t.i in reach
        return False

    @staticmethod
    def reach(span: Span, cross_clauses: bool = False) -> dict[int, int]:
        """Tokens a date may hang on to date this figure, with their distance.

        An as-of date does not cross into a coordinated clause with its own subject ("In
        2023 teams cleared 300 ha, and since 2018 they have destroyed 12,000 mines");
        the start of a count does ("victims since 2019, of whom ... 315 were injured").
        """
        number, noun = counted_noun(span)
        path, verb = climb(noun, 8)
        chain = [number, *span, noun, *path]
        if verb is not None:
            # above the verb, but not across into a coordinated clause with its own subject
            t = verb
            while t.head.i != t.i:
                if not cross_clauses and own_clause(t):
                    break
                t = t.head
                chain.append(t)
        out: dict[int, int] = {}
        for d, t in enumerate(chain):
            out.setdefault(t.i, d)
        return out
