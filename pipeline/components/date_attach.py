"""Step 5b: the time phrase of a figure's own sentence that governs it.

A phrase governs a figure when it hangs on the figure's own clause: its noun, the path to
its verb, or the verbs above it ("By November 30, 2024, ... cleared"), and not on a verb
of saying ("said on Saturday"), a comparison ("compared with 15 in 2023" dates the 15
only), or another figure's own words. A period gives the figure its end as `date` and its
start as `period_start`; a count start ("since ...") gives `period_start`; a date said on
a day more than a week before publication ("On 4 September the agency told donors that
...") dates what was said. Figures that no phrase of their sentence governs are left for
the document-context step (date empty).
"""

from __future__ import annotations

from dataclasses import replace

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from ..domain import Domain, bag_matches, load_domain
from .claim import Claim, claim_spans, set_claims
from .date_phrases import TimePhrase, pub_date, to_date
from .index import doc_index, sent_of
from .syntax import children, climb, counted_noun, own_clause, words

STATEMENT_DAYS = 7  # a statement dates its figures only when it is older than this


@Language.factory("claim_date_attach", default_config={"models_dir": None})
def make_date_attach(nlp: Language, name: str, models_dir: str | None):
    return DateAttacher(load_domain(models_dir))


def reach(span: Span, cross_clauses: bool = False) -> dict[int, int]:
    """Tokens a date may hang on to date this figure, with their distance.

    An as-of date does not cross into a coordinated clause with its own subject ("In
    2023 teams cleared 300 ha, and since 2018 they have destroyed 12,000 mines"); the start
    of a count does ("victims since 2019, of whom ... 315 were injured").
    """
    number, noun = counted_noun(span)
    path, verb = climb(noun, 8)
    chain = [number, *span, noun, *path]
    if verb is not None:
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


def same_clause(tok: Token, near: dict[int, int]) -> bool:
    """A date on a noun or number whose governing verb is on this figure's path."""
    t = tok
    for _ in range(8):
        to_noun = t.tag_ == "VBG" and any(c.lower_ == "to" for c in children(t, "aux"))
        if t.pos_ in ("VERB", "AUX") and t.dep_ not in ("pobj", "pcomp", "conj", "oprd", "acomp", "amod") and not to_noun:
            return False  # it has a verb of its own ("manufactured in 2021"); "on demining",
            # "allocated ... to demining in 2022" are nouns
        if t.head.i == t.i:
            return False
        t = t.head
        if t.pos_ in ("VERB", "AUX"):
            return t.i in near
    return False


def closing_conjunct(ph: TimePhrase, span: Span, near: dict[int, int]) -> bool:
    """A date after the last of two coordinated verbs, when the first has none of its own,
    dates both: "800 ha were cleared and 1,600 mines destroyed in 2022"."""
    verb = span.doc[ph.attach]
    if verb.pos_ not in ("VERB", "AUX") or verb.dep_ != "conj" or verb.head.i not in near:
        return False
    if any(min(ph.tokens) < c.i for c in children(verb, "nsubj", "nsubjpass")):
        return False  # "..., and by December 2023 crews had destroyed ...": that clause's own date
    return min(ph.tokens) > span.end


def closing_figure(ph: TimePhrase, span: Span, near: dict[int, int]) -> bool:
    """A date on the last of two coordinated figures, when written after both, dates both:
    "left four people dead and nine wounded in 2023" ("nine wounded" is a conjunct of the verb)."""
    if ph.start < span.end:
        return False
    t = span.doc[ph.attach]
    for _ in range(4):
        if t.dep_ == "conj" and t.head.i in near and t.i >= span.end:
            return True
        if t.head.i == t.i:
            return False
        t = t.head
    return False


def on_subject(ph: TimePhrase, span: Span, near: dict[int, int]) -> bool:
    """A date on a participle that describes the subject of the figure's verb dates the
    event: "a mine laid on a farm track in October 2024 killed seven villagers". On the
    figure's own noun it describes the thing counted ("mines manufactured in 2021")."""
    tok = span.doc[ph.attach]
    _number, noun = counted_noun(span)
    subject = tok.head
    return tok.dep_ in ("acl", "relcl") and subject.dep_ in ("nsubj", "nsubjpass") and subject.i != noun.i and subject.head.i in near


def on_own_noun(ph: TimePhrase, span: Span, acts: tuple, recording: frozenset[str]) -> bool:
    """A date in a clause on the figure's own noun (or on the noun of its "N of the X") that
    tells of the act the figure counts or of its recording: "the $81 million they provided
    in 2019", "44 of the 130 victims recorded in 2022"; not of what the thing is ("mines
    manufactured in 2021", "remnants that date back to 1942") or may become ("land that can
    now be returned")."""
    number, noun = counted_noun(span)
    nouns = {noun.i} | {p.i for t in (number, noun) for c in children(t, "prep") if c.lower_ == "of" for p in children(c, "pobj")}
    t = span.doc[ph.attach]
    for _ in range(4):
        if t.dep_ in ("relcl", "acl") and t.head.i in nouns:
            modal = any(c.tag_ == "MD" for c in children(t, "aux"))
            told = frozenset(words(t))
            return not modal and (bag_matches(told, acts) or bool(told & recording))
        if t.head.i == t.i:
            return False
        t = t.head
    return False


def by_the_time(ph: TimePhrase, near: dict[int, int], doc: Doc) -> bool:
    """A date in a clause of time ("by the time ...", "when ...") on the figure's verb."""
    t = doc[ph.attach]
    if t.pos_ not in ("VERB", "AUX") or t.dep_ not in ("advcl", "relcl"):
        return False
    timed = any(c.lower_ in ("when", "until", "once") for c in children(t, "mark", "advmod"))
    for _ in range(3):
        if t.head.i == t.i:
            return False
        t = t.head
        timed = timed or t.lemma_.lower() == "time"
        if t.i in near:
            return timed
    return False


def fronted(ph: TimePhrase, span: Span) -> bool:
    """A period or year at the head of the sentence governs the whole sentence (guide: "A
    fronted year or period governs its sentence"), not only its first clause."""
    sent = sent_of(span)
    root, first, under_first = doc_index(span.doc).memo(("sentence head", sent.start), lambda: _sentence_head(sent))
    if first is None or ph.start >= root.i or ph.end > span.start:
        return False
    at_head = ph.start <= first.i + 1 or ph.start in under_first
    if not at_head:
        return False
    # not into a clause that describes a noun ("..., which keeps 43 patrols on standby")
    _number, noun = counted_noun(span)
    t = noun
    while t.head.i != t.i and t.i != root.i:
        if t.dep_ in ("relcl", "acl"):
            return False
        t = t.head
    return True


def _sentence_head(sent: Span) -> tuple[Token, Token | None, frozenset[int]]:
    """(the sentence's root, its first word, the words under that word when it is a
    preposition): what `fronted` asks of a sentence for every figure and phrase in it."""
    first = next((t for t in sent if not t.is_punct and not t.is_space and not t._.bullet), None)
    under = frozenset(t.i for t in first.subtree) if first is not None and first.dep_ == "prep" else frozenset()
    return sent.root, first, under


class DateAttacher:
    def __init__(self, domain: Domain):
        self.domain = domain
        cues = domain.date_cues
        self.speech = {w.lower() for w in cues.get("speech_verbs", ())}
        self.statement_verbs = {w.lower() for w in cues.get("statement_verbs", ())}
        self.report_nouns = {w.lower() for w in cues.get("report_nouns", ())}
        self.recording = frozenset(w.lower() for w in cues.get("recording_verbs", ()))
        self.comparison = {w.lower() for w in cues.get("comparison", ())}
        self.start_verbs = {w.lower() for w in cues.get("start_verbs", ())}

    def is_statement(self, ph: TimePhrase, doc: Doc) -> bool:
        """A day phrase on a verb of saying dates the statement ("said on Saturday",
        "reported on 3 May"), and so does one on a report or a meeting ("a report released on
        Friday", "the conference was held on 27 November"); "reported 57 casualties in 2022"
        keeps its year."""
        verb = doc[ph.attach]
        lemma = verb.lemma_.lower()
        if verb.pos_ in ("NOUN", "PROPN") and lemma in self.report_nouns:
            return True  # "in a plenary debate on 25 February"
        reported = lemma in self.statement_verbs and (
            (verb.dep_ in ("acl", "relcl") and verb.head.lemma_.lower() in self.report_nouns)
            or any(c.lemma_.lower() in self.report_nouns for c in children(verb, "nsubj", "nsubjpass"))
        )
        if lemma not in self.speech and not reported:
            return False
        first = doc[ph.start].lower_
        if first == "in" and len(ph.date) == 7 and lemma in self.speech and lemma not in self.recording:
            return True  # "Speaking to the committee in February, the minister said ..."
        return first == "on" or len(ph.date) >= 10 or ph.text.lower() in ("last month", "earlier this month", "this month") or first not in ("in", "during", "by", "as", "at", "through", "until", "over")

    def old_enough(self, ph: TimePhrase, published: str) -> bool:
        """Said more than a week before publication: an earlier report, not today's news."""
        said, pub = to_date(ph.date), pub_date(published)
        return said is not None and pub is not None and (pub - said).days > STATEMENT_DAYS

    def in_comparison(self, span: Span, ph: TimePhrase) -> bool:
        """A figure under a comparison ("down 18 percent from 50", "compared with 15") takes
        only a date inside the comparison: the sentence's own date is for the other figure."""
        doc = span.doc
        _number, noun = counted_noun(span)
        t = noun
        for _ in range(4):
            if t.head.i == t.i:
                return False
            word = t.head
            if word.lower_ in self.comparison or word.lemma_.lower() in self.comparison or (
                word.lower_ == "from" and word.head.lower_ in ("up", "down")
            ):
                below = doc_index(doc).memo(("subtree", word.i), lambda: frozenset(x.i for x in word.subtree))
                return ph.attach not in below
            t = word
        return False

    def __call__(self, doc: Doc) -> Doc:
        published = doc._.published or ""
        spans = claim_spans(doc)
        phrases: dict[int, list[TimePhrase]] = {}
        for ph in doc._.time_phrases:
            phrases.setdefault(ph.sent, []).append(ph)
        index = doc_index(doc)
        # the tokens that carry another figure: a date on them is that figure's own
        figure_tokens: dict[int, set[int]] = {}
        for s in spans:
            number, noun = counted_noun(s)
            figure_tokens[s.start] = {t.i for t in s if t.like_num} or {number.i}
            if noun.dep_ == "pobj":
                figure_tokens[s.start].add(noun.head.i)  # "down from 1,174 km² in 2000"
        carried_by: dict[int, set[int]] = {}  # token -> the figures (by start) it carries
        for key, toks in figure_tokens.items():
            for t in toks:
                carried_by.setdefault(t, set()).add(key)
        wide_reach = [reach(span, cross_clauses=True) for span in spans]
        reached: dict[int, set[int]] = {}  # sentence start -> the tokens its figures reach
        for span, r in zip(spans, wide_reach):
            reached.setdefault(index.sent(span.start).start, set()).update(r)
        pairs = []
        for k, span in enumerate(spans):
            claim: Claim = span._.claim
            sent_start = index.sent(span.start).start
            sent_phrases = phrases.get(sent_start, [])
            spec = self.domain.metric(claim.metric)
            near = reach(span)
            own_since = any(p.kind == "since" and p.attach in near for p in sent_phrases)
            date, start, source, since_at = "", "", "", -1
            best, best_d = None, (0, 0)
            for ph in sent_phrases:
                if ph.kind not in ("date", "period"):
                    continue
                if ph.header:
                    continue  # a dateline dates the page, not the figure
                if self.is_statement(ph, doc) and not self.old_enough(ph, published):
                    continue
                if self.in_comparison(span, ph):
                    continue
                d = near.get(ph.attach)
                if on_own_noun(ph, span, spec.action if spec is not None else (), self.recording):
                    d = 0  # "the $81 million they provided in 2019": a clause on the figure itself comes first
                if d is None and ph.relative:
                    continue  # "mines, most of which date back to 1942": about those mines
                theirs = any(key != span.start for key in carried_by.get(ph.attach, ()))
                if d is None and not theirs and same_clause(doc[ph.attach], near):
                    d = 50  # "cleared 40 ha and 1,500 m² of roads last month": the clause's date
                if d is None and closing_conjunct(ph, span, near):
                    d = 60  # "800 ha were cleared and 1,600 mines destroyed in 2022"
                if d is None and closing_figure(ph, span, near):
                    d = 65  # "left four people dead and nine wounded in 2023"
                if d is None and on_subject(ph, span, near):
                    d = 70  # "a mine laid in October 2024 killed seven villagers"
                if d is None and by_the_time(ph, near, doc):
                    d = 80  # "By the time it was declared free in September 2015, ... had destroyed"
                if d is None and fronted(ph, span) and not own_since:
                    d = 90  # "From 1992 to August, 2,254 km² were cleared, while 1.1 million mines ..."
                if d is not None:
                    # equal reach: the phrase written nearer the figure ("from 382 in 2022 to
                    # 905 in 2023", both parsed onto "from")
                    key = (d, ph.start - span.end if ph.start >= span.end else span.start - ph.end)
                    if best is None or key < best_d:
                        best, best_d = ph, key
            date_at = -1
            if best is not None and (not best.date or _not_after(best.date, published)):
                date, source, date_at = best.date, "date", best.start
                if best.kind == "period":
                    start = best.begin
            # the start of a count: a "since" phrase on the figure's clause, or one that
            # hangs on no other figure's clause; not one in a relative clause unless it tells
            # of a beginning ("a school site that had been off limits since 1942" tells of the
            # site; "the clearance, which began in April" of the work)
            since = [p for p in sent_phrases if p.kind == "since" and (not p.relative or doc[p.attach].lemma_.lower() in self.start_verbs)]
            spec = self.domain.metric(claim.metric)
            if spec is not None and not spec.cumulative:
                since = []  # a stock or an estimate starts no count with "since"
            if not start and since:
                wide = dict(wide_reach[k])
                # "18,900 hazardous areas covering 2,900 km² since 1989": a phrase on a
                # participle describing the counted noun dates the noun too
                _number, noun = counted_noun(span)
                for c in children(noun, "acl", "relcl"):
                    wide.setdefault(c.i, 40)
                attached = [p for p in since if p.attach in wide]
                floating = [p for p in since if p.attach not in reached.get(sent_start, ())]
                chosen = (attached or floating)[:1]
                if chosen:
                    start, source, since_at = chosen[0].begin, source or "since", chosen[0].start
            pairs.append((span, replace(claim, date=date, period_start=start, dated_by=source, since_at=since_at, date_at=date_at)))
        set_claims(doc, pairs)
        return doc


def _not_after(iso: str, published: str) -> bool:
    """An as-of date later than the publication date is a target, not a date for a figure."""
    if not published or not iso:
        return True
    n = min(len(iso), len(published))
    return iso[:n] <= published[:n]
