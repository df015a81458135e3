"""Step 5c: dates, periods and count starts carried across sentences.

The one place that reads beyond a figure's sentence (labeling guide, "Periods, reports and
context"). Sentences are read in order, keeping:

- the report frame: the latest date, period or count start stated in a main clause (not a
  comparison, not a dateline, not the day of today's news), or in a header line
  ("Reporting period: 1-30 November 2023");
- the latest point in time named (for "since then", "has since", "over that time").

A figure its own sentence did not date takes, in this order: the frame its sentence
points back to ("during the same period", "that month", "the project"); a count from the
point it points back to ("since then"); the frame one year back ("over the same period
last year", "the year before"); the date and start of the figure it breaks down ("Of
these, ...", "21 of them children", "Children accounted for 11 of the casualties"); the
frame of the list it is an item of; the frame of the sentence before when it goes on with
a pronoun ("They removed ..."); otherwise the publication date. A count start that only
names an event ("since the end of the war") resolves through models/events.yaml.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..domain import Domain, load_domain
from .claim import Claim, claim_spans, set_claims
from .date_attach import DateAttacher, reach, same_clause
from .date_phrases import TimePhrase, shift_years
from .index import doc_index, doc_text, has_verb
from .sentences import item_line, opens_with

YEAR = re.compile(r"\b(?:19|20)\d\d\b")


@dataclass
class _Reading:
    """What the reading keeps from the sentences before."""

    frame: "Frame | None" = None  # the latest report frame
    period: "Frame | None" = None  # the latest frame with a start
    dated: "Frame | None" = None  # the latest frame with a date
    activity: "Frame | None" = None  # the latest frame of work done (not of casualties)
    noun_frames: dict = field(default_factory=dict)  # "project" -> the frame of its sentence
    statement: str = ""  # the day of the latest statement older than a week
    report: "Frame | None" = None  # the period of a "Reporting period:" header line
    point: str = ""  # the latest point in time named
    list_frame: "Frame | None" = None  # what the items of the current list take
    intro: bool = False  # the sentence before introduces a list or is a heading
    previous: "Frame | None" = None  # the frame of the sentence before


@dataclass(frozen=True)
class Frame:
    """What a report states its figures for: an end ("" = publication) and a start."""

    date: str = ""
    start: str = ""
    day_or_period: bool = False  # a day or a bounded period: a sentence going on with "They" keeps it


@Language.factory("claim_date_context", default_config={"models_dir": None, "breakdown_reach": 2})
def make_date_context(nlp: Language, name: str, models_dir: str | None, breakdown_reach: int):
    return DateContext(load_domain(models_dir), breakdown_reach)


class DateContext:
    def __init__(self, domain: Domain, breakdown_reach: int):
        self.domain = domain
        cues = domain.date_cues
        self.breakdown_starts = tuple(sorted((w.lower() for w in cues.get("breakdown_starts", ())), key=lambda w: (-len(w), w)))
        self.continuing = {w.lower() for w in cues.get("continuing_subjects", ())}
        self.comparison = {w.lower() for w in cues.get("comparison", ())}
        self.start_verbs = {w.lower() for w in cues.get("start_verbs", ())}
        self.ending_words = {w.lower() for w in cues.get("event_end_words", ())}
        self.speech = {w.lower() for w in cues.get("speech_verbs", ())}
        self.pointer_nouns = {w.lower() for w in cues.get("pointer_nouns", ())}
        self.breakdown_reach = breakdown_reach
        self.statement = DateAttacher(domain)
        self.changes = {w for key in ("change_nouns", "change_verbs") for term in domain.not_claims.get(key, ()) for w in term}

    # -- count starts that name an event ---------------------------------------------------
    def event_start(self, text: str, places: set[str], doc: Doc) -> str:
        """The month a known event ended, when the phrase names it ("after the 44-day war")
        or says "the war" in an article that names it or states its year; the day when the
        body writes the day the event ended ("the war ended on 10 November 2020")."""
        low = text.lower()
        stated = YEAR.findall(low)
        candidates = [e for e in self.domain.events if any(p in places for p in e.places)]
        found = ""
        for e in candidates:
            if any(p in low for p in e.phrases) and (not stated or (e.year and str(e.year) in stated)):
                found = e.end
                break
        index = doc_index(doc)
        if not found and any(g in low for g in self.domain.generic_events):
            doc_low = index.memo("lower text", lambda: doc_text(doc).lower())

            def in_article(phrase: str) -> bool:  # looked for once per article
                return index.memo(("in article", phrase), lambda: phrase in doc_low)

            named = [e for e in candidates if (stated and e.year and str(e.year) in stated) or (not stated and any(in_article(p) for p in e.phrases))]
            if named:
                found = max(named, key=lambda e: e.end).end
        if found:
            return index.memo(("event day", found), lambda: self.day_written(found, doc))
        return found

    def day_written(self, month: str, doc: Doc) -> str:
        """The day in that month the body says an event ended on, else the month."""
        for ph in doc._.time_phrases:
            if len(ph.date) == 10 and ph.date.startswith(month) and self.says_end(doc[ph.sent : ph.end + 3]):
                return ph.date
        return month

    def says_end(self, span: Span) -> bool:
        return any(t.lemma_.lower() in self.ending_words for t in span)

    def places_of(self, doc: Doc, sent: Span, claim: Claim | None = None) -> set[str]:
        places = {doc._.place.lower()} if doc._.place else set()
        if claim is not None:
            places.update(p.lower() for p in (claim.location, claim.region) if p)
        for ent in doc_index(doc).ents_in(sent):
            if ent.label_ in ("GPE", "LOC", "NORP"):
                places.add(ent.text.lower())
        return places

    # -- reading order ---------------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        published = doc._.published or ""
        by_sent: dict[int, list[TimePhrase]] = {}
        for ph in doc._.time_phrases:
            by_sent.setdefault(ph.sent, []).append(ph)
        spans = claim_spans(doc)
        index = doc_index(doc)
        claims_by_sent: dict[int, list[int]] = {}
        for k, span in enumerate(spans):
            claims_by_sent.setdefault(index.sent(span.start).start, []).append(k)
        out: list[Claim] = [s._.claim for s in spans]
        state = _Reading()
        for sent in index.sents:
            own = by_sent.get(sent.start, [])
            # count starts that only name an event or a pointer noun resolve now; one that
            # writes its year keeps it, or the day when the body writes the day it ended
            for ph in own:
                if ph.kind != "since" or len(ph.begin) > 4:
                    continue
                event = self.event_start(ph.text, self.places_of(doc, sent), doc)
                if not ph.begin:
                    ph.begin = event or self.pointed_start(ph, doc, state.point)
                elif len(event) == 10 and event.startswith(ph.begin):
                    ph.begin = event
            is_item = item_line(sent)
            if not is_item and not state.intro:
                state.list_frame = None
            mine = claims_by_sent.get(sent.start, [])
            stated = self.stated_frame(own, [out[k] for k in mine], doc, published)
            said = self.said_on(own, state, doc, published)  # the same for each figure of the sentence
            for k in mine:
                out[k] = self.dated(out[k], own, stated, state, out, spans, k, sent, is_item, published, said)
            self.read(sent, own, stated, state, is_item, doc, published, [out[k] for k in mine])
        # the text states a date only when it is not the publication date ("to date", "so
        # far" and a total dated by publication stand for publication: decision 9)
        out = [replace(c, date_basis="published" if c.date == published else "stated") for c in out]
        set_claims(doc, list(zip(spans, out)))
        return doc

    def dated(self, claim: Claim, own: list[TimePhrase], stated: Frame | None, state: "_Reading", out, spans, k: int, sent: Span, is_item: bool, published: str, said: str) -> Claim:
        """A figure with the date and start its sentence gave it, or the context's (`said`:
        the day of an earlier statement the sentence reports, see said_on)."""
        if said and (claim.dated_by != "date" or claim.date == published):
            # "In the same reply, he said 1,480 deminers currently work ...": an earlier
            # statement's "now" is its own day
            return replace(claim, date=said, date_basis="stated")
        if claim.dated_by == "date":
            return replace(claim, date_basis="stated")
        if claim.dated_by == "since":
            # the phrase's start as resolved above (an event's month or day)
            ph = next((p for p in own if p.start == claim.since_at), None)
            if ph is not None and ph.begin:
                claim = replace(claim, period_start=ph.begin)
            return replace(claim, date=published, date_basis="published")
        frame = self.inherited(claim, own, stated, state, out, spans, k, sent, is_item, published)
        spec = self.domain.metric(claim.metric)
        if frame is not None and not frame.date and spec is not None and not spec.cumulative:
            frame = None  # "since then ... 248 km² are still hazardous": a stock starts no count
        if frame is not None and (frame.date or frame.start):
            return replace(claim, date=frame.date or published, period_start=frame.start, date_basis="stated" if frame.date else "published")
        return replace(claim, date=published, date_basis="published")

    def inherited(self, claim: Claim, own: list[TimePhrase], stated: Frame | None, state: "_Reading", out, spans, k: int, sent: Span, is_item: bool, published: str) -> Frame | None:
        """The frame a figure its sentence did not date takes from the context, if any."""
        # per kind, the sentence's first phrase of it ("the same period last year" and "the
        # year before" only where they govern this figure); the rest is kept per sentence
        kinds = dict(doc_index(sent.doc).memo(("phrase kinds", sent.start), lambda: {p.kind: p for p in reversed(own) if p.kind not in ("mirror", "relative")}))
        kinds.update({p.kind: p for p in reversed(own) if p.kind in ("mirror", "relative") and self.governs(p, spans[k])})
        base = stated or state.frame
        if "mirror" in kinds:  # "over the same period last year": the frame a year back
            end = base.date if base is not None and base.date else published
            return Frame(shift_years(end, -1), shift_years(base.start, -1) if base is not None else "")
        if "relative" in kinds:  # "the year before": the year before the frame's
            end = base.date if base is not None and base.date else published
            return Frame(shift_years(end[:4], -1), "")
        pointer = kinds.get("pointer")
        spec = self.domain.metric(claim.metric)
        if pointer is not None and self.is_noun_pointer(pointer) and not self.governs(pointer, spans[k]):
            pointer = None  # "The director general of the project said ...": not this figure's
        if pointer is not None and self.is_noun_pointer(pointer) and spec is not None and spec.future_ok and not spec.cumulative:
            pointer = None  # "the work could take five more years": what is still needed is no work done
        if pointer is not None:  # "during the same period", "the reporting period", "the project"
            return self.pointed_frame(pointer, state, stated) or Frame()
        if "said_pointer" in kinds:  # "In the same reply, he said ...": that statement's date
            return state.frame
        if "then" in kinds:  # "By then it had spent US$80 million"
            return Frame(state.point, "") if state.point else None
        if "since_pointer" in kinds:  # "since then", "over that time"
            return Frame("", state.point if state.point != published else "")
        marked = opens_with(sent, self.breakdown_starts)
        if marked or (spec is not None and spec.part_of):
            source = self.source_frame(out, spans, k, marked)
            if source is not None:
                return source
        if is_item and state.list_frame is not None:
            return state.list_frame
        if self.continues(sent) and state.previous is not None and state.previous.day_or_period:
            return state.previous  # "On Sunday, March 2, ... They removed 318 items"
        return None

    def governs(self, ph: TimePhrase, span: Span) -> bool:
        """"over the same period last year", "the year before" date the figure whose clause
        they hang on ("from 50 over the same period last year"), not a change beside it ("an
        increase of 2 percent on the year before")."""
        t = span.doc[ph.attach]
        for _ in range(2):
            if t.lemma_.lower() in self.changes:
                return False
            t = t.head
        near = reach(span)
        return ph.attach in near or same_clause(span.doc[ph.attach], near)

    def said_on(self, own: list[TimePhrase], state: "_Reading", doc: Doc, published: str) -> str:
        """The day of an earlier statement this sentence reports: its own "told Parliament on
        5 March" more than a week before publication, or "in the same reply" after one."""
        for ph in own:
            if ph.kind == "date" and self.statement.is_statement(ph, doc) and self.statement.old_enough(ph, published):
                return ph.date
        if any(p.kind == "said_pointer" for p in own):
            return state.statement
        return ""

    def is_noun_pointer(self, ph: TimePhrase) -> bool:
        """"the project", "the operation", "the haul": a thing, not a span of time."""
        words = ph.text.lower().split()
        return words[0] in ("the", "these", "those") and any(w.rstrip("s") in self.pointer_nouns or w in self.pointer_nouns for w in words[1:])

    def pointed_frame(self, pointer: TimePhrase, state: "_Reading", stated: Frame | None = None) -> Frame | None:
        """"the reporting period": the report's; "the project", "the operation": the frame
        of a sentence that named the same thing, else the latest frame of work done; "the
        same period", "that time": the latest bounded frame; "that month", "the same year":
        the latest dated frame. A pointer beside a date of its own sentence means that one."""
        text = pointer.text.lower()
        if state.report is not None and "report" in text:
            return state.report
        if stated is not None and re.match(r"(?:that|the same) (?:year|month)$", text):
            return stated  # "in 2023, while donors provided $34.6m that year"
        if self.is_noun_pointer(pointer):
            for word in text.split()[1:]:
                noun = word.rstrip("s") if word.rstrip("s") in self.pointer_nouns else word
                if noun in state.noun_frames:
                    return state.noun_frames[noun]
            return state.activity
        if re.search(r"\b(?:month|year|week)\b", text):
            return state.dated or state.frame
        return state.period or state.frame

    def about_work(self, claims: list[Claim]) -> bool:
        """A sentence about work done (cleared, destroyed, called out), not about harm."""
        for c in claims:
            spec = self.domain.metric(c.metric)
            if spec is not None and spec.family == "casualties":
                return False
        return True

    def read(self, sent: Span, own: list[TimePhrase], stated: Frame | None, state: "_Reading", is_item: bool, doc: Doc, published: str, claims: list[Claim] = ()) -> None:
        """Keep what later sentences may point back to."""
        kinds = {p.kind: p for p in reversed(own)}
        frame = stated
        if frame is None and "said_pointer" in kinds:
            frame = state.frame
        if frame is None and "pointer" in kinds:
            frame = self.pointed_frame(kinds["pointer"], state)
        elif frame is None and "since_pointer" in kinds:
            frame = Frame("", state.point if state.point != published else "")
        if frame is not None and stated is not None:
            for t in sent:
                if t.lemma_.lower() in self.pointer_nouns:
                    state.noun_frames[t.lemma_.lower()] = frame  # "Between March 2021 and October 2023, the project:"
        header = bool(own) and all(p.header for p in own)
        if header and stated is not None and stated.start:
            state.report = stated  # "Reporting period: 1-30 November 2023"
        began = next((p for p in own if p.kind == "since" and p.begin and doc[p.attach].lemma_.lower() in self.start_verbs), None)
        if frame is None and began is not None and state.period is None:
            # "the project, which was started in 2018, ..." then "in that period the project's
            # teams cleared ...": the beginning the sentence names starts the period pointed
            # back to ("Since the army regained the city in March, ..." begins no period)
            state.period = Frame("", began.begin)
        if frame is not None:
            state.frame = frame
            if frame.start:
                state.period = frame
            if frame.date:
                state.dated = frame
            if stated is not None and self.about_work(claims):
                state.activity = frame
        colon = doc_index(doc).span_text(sent).rstrip().endswith(":")
        intro = colon or (not is_item and not has_verb(sent))
        if intro and frame is None:
            # "📊 Since 24 February 2022, SES pyrotechnists of the region have:"
            frame = next((Frame("", p.begin) for p in own if p.kind == "since" and p.begin), None)
        if intro:
            # a list's intro ("Between March 2021 and October 2023, the project:", "KEY
            # FIGURES (reporting period)") frames its items; a bare heading frames nothing yet
            state.list_frame = frame
        elif is_item and frame is not None and frame.start and state.list_frame is None:
            state.list_frame = frame  # "HIGHLIGHTS": the first item's period frames the rest
        state.intro = intro
        state.previous = frame
        for ph in own:
            if ph.kind == "date" and self.statement.is_statement(ph, doc) and self.statement.old_enough(ph, published):
                state.statement = ph.date  # "told Parliament on 5 March": for "in the same reply"
        for ph in own:
            if ph.kind in ("date", "period") and not ph.header and not self.compares(ph, doc):
                state.point = ph.date or state.point
            elif ph.kind == "since" and ph.begin:
                state.point = ph.begin

    def stated_frame(self, own: list[TimePhrase], claims: list[Claim], doc: Doc, published: str) -> Frame | None:
        """What a sentence states its figures for: the date and start its own phrases gave
        its figures (the most frequent); in a sentence with no such figure, its first period,
        else its first date (not a dateline, a comparison, a target or today's statement)."""
        compared = {p.start for p in own if self.compares(p, doc)}
        dated = [(c.date, c.period_start) for c in claims if c.dated_by == "date" and c.date_at not in compared]
        dated += [("", p.begin) for c in claims if c.dated_by == "since" for p in own if p.start == c.since_at and p.begin]
        if dated:
            # the most frequent, the first written of those (counted once, not once per figure)
            counts = Counter(dated)
            most = max(counts.values())
            date, start = next(d for d in dated if counts[d] == most)
            return Frame(date, start, bool(start) or len(date) == 10)
        candidates = []
        for ph in own:
            if ph.kind not in ("date", "period") or self.compares(ph, doc) or (ph.kind == "date" and ph.header) or ph.relative:
                continue
            if ph.date and ph.date > published[: len(ph.date)]:
                continue  # a target
            if self.statement.is_statement(ph, doc) and not self.statement.old_enough(ph, published):
                continue  # the day of today's news
            candidates.append(ph)
        periods = [p for p in candidates if p.kind == "period"]
        chosen = (periods or candidates)[:1]
        if not chosen:
            return None
        ph = chosen[0]
        return Frame(ph.date, ph.begin, ph.kind == "period" or len(ph.date) == 10)

    def compares(self, ph: TimePhrase, doc: Doc) -> bool:
        """A date inside a comparison ("compared with 15 casualties in 2023") is no frame."""
        t = doc[ph.attach]
        for _ in range(4):
            if t.lower_ in self.comparison or t.lemma_.lower() in self.comparison:
                return True
            if t.lower_ == "from" and t.head.lower_ in ("up", "down"):
                return True
            if t.head.i == t.i:
                return False
            t = t.head
        return False

    def pointed_start(self, ph: TimePhrase, doc: Doc, point: str) -> str:
        """"since the beginning of the project" after "The project was launched in June 2018":
        a count start that names a pointer noun starts at the latest point named."""
        words = {t.lemma_.lower() for t in doc[ph.start : ph.end]}
        return point if words & self.pointer_nouns else ""

    def source_frame(self, out: list[Claim], spans: list[Span], k: int, marked: bool) -> Frame | None:
        """The date and start of the figure a breakdown divides: the latest earlier figure,
        within a few sentences, of a total this metric is a part of, or (after a marker such
        as "Of these") of the same family, else any."""
        claim, span = out[k], spans[k]
        spec = self.domain.metric(claim.metric)
        wanted = set(spec.part_of) if spec else set()
        family = spec.family if spec else ""
        index = doc_index(span.doc)
        here = index.sent_no(span.start)
        fallback = None
        for j in range(k - 1, -1, -1):
            other, other_span = out[j], spans[j]
            if here - index.sent_no(other_span.start) > self.breakdown_reach:
                break
            if not (other.date or other.period_start) or other.metric == "other":
                continue
            other_spec = self.domain.metric(other.metric)
            if other.metric in wanted or (marked and other_spec is not None and family and other_spec.family == family):
                return Frame(other.date, other.period_start)
            fallback = fallback or Frame(other.date, other.period_start)
        return fallback if marked else None

    def continues(self, sent: Span) -> bool:
        """A sentence that goes on with a pronoun for the subject of the one before."""
        first = next((t for t in sent if not t.is_punct and not t.is_space), None)
        return first is not None and first.lower_ in self.continuing and first.dep_ in ("nsubj", "nsubjpass")
