"""Step 2: what each figure counts.

The metric comes from the dependency parse (see syntax.py): the noun the number counts,
its governing verb and their dependents, matched against models/taxonomy.yaml. Figures
that are plans, rates, changes or ratios are never claims (labeling guide); they, and
figures that fit no metric, become metric "other".
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from ..domain import Domain, bag_matches, load_domain
from .claim import Claim, claim_spans, set_claims
from .index import DocIndex, doc_index
from .sentences import item_line, opens_with
from .syntax import ESTIMATING, Context, Figures, children, clause_ancestors, context, sentence_verbs, sentence_words, words


@lru_cache(maxsize=64)
def _lemmas(domain: Domain, key: str) -> frozenset[str]:
    return frozenset(w for term in domain.not_claims.get(key, ()) for w in term)


def not_a_claim(ctx: Context, claim: Claim, domain: Domain) -> str:
    """Why a figure is not a claim whatever it counts ("" when it may be one)."""
    verb = ctx.verb
    # plans, targets, wishes: a governing word above the verb, or a future auxiliary
    if verb is not None:
        above: set[str] = set()
        for t in clause_ancestors(verb):
            above |= words(t)
        if bag_matches(above, domain.not_claims.get("future_governors", ())):
            return "future"
        aux = {w for c in children(verb, "aux", "auxpass") for w in words(c)}
        if bag_matches(aux, domain.not_claims.get("future_aux", ())):
            return "future"
    # rates and averages
    anchors = [ctx.noun] + ([verb] if verb is not None else [])
    if any(c.lower_ == "per" for c in children(ctx.noun, "prep")):
        return "rate"  # "4,000 mines per kilometre"
    # "a drop of 16 percent": the figure measures a change
    if ctx.number.dep_ == "pobj" and ctx.number.head.lower_ == "of" and ctx.number.head.head.lemma_.lower() in _lemmas(domain, "change_nouns"):
        return "change"
    if ctx.noun.dep_ == "pobj" and ctx.noun.head.lower_ == "of" and ctx.noun.head.head.lemma_.lower() in _lemmas(domain, "change_nouns") and ctx.noun.i != ctx.number.i and claim.kind == "percent":
        return "change"
    if verb is not None and verb.lemma_.lower() in _lemmas(domain, "state_verbs"):
        anchors = [ctx.noun]  # "are working in the region every day": how often, not a rate
    for anchor in anchors:
        periods, marked = rate_marks(anchor, domain)
        if marked or any(i != ctx.noun.i for i in periods):
            return "rate"  # "40 casualties a year"; "take a further 15 years" counts the years
    # changes: "a 15 percent rise", "rose by 15 percent", "fell 20 percent"
    change_nouns = _lemmas(domain, "change_nouns")
    change_verbs = _lemmas(domain, "change_verbs")
    if ctx.noun.lemma_.lower() in change_nouns and ctx.noun.i != ctx.number.i:
        return "change"
    if verb is not None and verb.lemma_.lower() in change_verbs and len(ctx.path) >= 2:
        below = ctx.path[-2]
        if below.lower_ == "by" or (below.i == ctx.noun.i and below.dep_ in ("dobj", "npadvmod")):
            return "change"
    # ratios: "60% of the target"
    if claim.kind == "percent" and bag_matches(ctx.near, domain.not_claims.get("ratio_nouns", ())):
        return "ratio"
    return ""


def rate_marks(anchor: Token, domain: Domain) -> tuple[frozenset[int], bool]:
    """What makes a figure under this token a rate, looked for once per token: (its
    children that are a period with a determiner, "a year"; whether a preposition of
    period, "per month", or a rate adverb, "annually", hangs on it)."""

    def find() -> tuple[frozenset[int], bool]:
        periods = _lemmas(domain, "rate_periods")
        dets = _lemmas(domain, "rate_determiners")
        found, marked = set(), False
        for c in children(anchor):
            if c.lemma_.lower() in periods and any(d.lower_ in dets for d in c.children):
                found.add(c.i)
            if c.dep_ == "prep" and c.lower_ in dets and any(p.lemma_.lower() in periods for p in c.children):
                marked = True
            if c.dep_ in ("advmod", "npadvmod", "amod", "prep") and bag_matches(words(c) | {w for g in c.children for w in words(g)}, domain.not_claims.get("rate_adverbs", ())):
                marked = True
        return frozenset(found), marked

    return doc_index(anchor.doc).memo(("rate marks", anchor.i), find)


def choose_metric(ctx: Context, claim: Claim, domain: Domain, reason: str) -> str:
    """The first taxonomy metric whose conditions all hold, or "other"."""
    for spec in domain.metrics:
        if spec.kind != claim.kind:
            continue
        if reason and not (reason == "future" and spec.future_ok):
            continue
        if spec.head and not bag_matches(ctx.head, spec.head):
            continue
        if spec.near and not bag_matches(ctx.near, spec.near):
            continue
        if spec.action and not bag_matches(ctx.near | ctx.clause, spec.action):
            continue
        if spec.sentence and not bag_matches(ctx.own_sentence, spec.sentence):
            continue
        if spec.context and not bag_matches(ctx.sentence, spec.context):
            continue
        if spec.context_all and not bag_matches(ctx.sentence, spec.context_all):
            continue
        if spec.article and not bag_matches(ctx.article, spec.article):
            continue
        if spec.not_near and bag_matches(ctx.head, spec.not_near):
            continue
        if spec.not_action and bag_matches(ctx.near | ctx.clause, spec.not_action):
            continue
        if spec.not_verb and ctx.verbs and all(bag_matches(v, spec.not_verb) for v in ctx.verbs):
            continue
        if spec.not_own_sentence and not_about_mines(ctx, spec):
            continue
        if spec.not_past and past_tense(ctx, domain):
            continue
        if spec.not_described and bag_matches(ctx.described, spec.not_described):
            continue
        return spec.id
    return "other"


class Earlier:
    """The figures of an article judged so far, filed as they are judged, so that a figure
    that looks back ("the first figure of its sentence", "the latest figure of that noun")
    asks a table instead of going through every figure before it: that look costs the square
    of the number of figures, in an article or in one long sentence."""

    def __init__(self, index: DocIndex):
        self.index = index
        self.pairs: list[tuple[Span, Claim]] = []
        self.first: dict[tuple[int, str], str] = {}  # (sentence, kind) -> metric of its first named figure
        self.by_verb: dict[tuple[int, str, str], str] = {}  # (sentence, kind, verb lemma) -> latest named figure's metric
        self.money: dict[int, tuple[Span, Claim]] = {}  # sentence -> its latest sum
        self.by_value: dict[tuple[float, str], str] = {}  # (value, unit) -> latest named figure's metric
        # the latest named figure (an index into pairs) of earlier sentences, by its counted
        # noun and by the nouns of its sentence; the open sentence's figures join them when
        # the next sentence begins
        self.by_noun: dict[str, int] = {}
        self.by_sentence_noun: dict[str, int] = {}
        self.open: list[tuple[int, Token]] = []
        self.open_sent = -1

    def add(self, span: Span, claim: Claim, ctx: Context) -> None:
        k = len(self.pairs)
        self.pairs.append((span, claim))
        sent = self.index.sent_no(span.start)
        self.close_before(sent)
        if claim.kind == "money":
            self.money[sent] = (span, claim)
        if claim.metric == "other":
            return
        self.first.setdefault((sent, claim.kind), claim.metric)
        if ctx.verb is not None:
            self.by_verb[(sent, claim.kind, ctx.verb.lemma_)] = claim.metric
        self.by_value[(claim.value, claim.unit)] = claim.metric
        self.open.append((k, ctx.noun))

    def close_before(self, sent: int) -> None:
        """File the open sentence's figures under the earlier ones when `sent` is another."""
        if sent == self.open_sent:
            return
        for k, noun in self.open:
            self.by_noun[noun.lemma_.lower()] = k
            for lemma in sentence_nouns(self.index.sent(self.pairs[k][0].start)):
                self.by_sentence_noun[lemma] = k
        self.open, self.open_sent = [], sent

    def latest_of(self, nouns: set[str], table: dict[str, int]) -> Claim | None:
        found = [table[n] for n in nouns if n in table]
        return self.pairs[max(found)][1] if found else None


def sentence_nouns(sent: Span) -> frozenset[str]:
    """The lemmas of a sentence's nouns, read once per sentence."""
    return doc_index(sent.doc).memo(
        ("nouns", sent.start, sent.end), lambda: frozenset(t.lemma_.lower() for t in sent if t.pos_ in ("NOUN", "PROPN"))
    )


def elliptical(ctx: Context, claim: Claim, earlier: Earlier) -> str:
    """"31 mine victims in 2022; in 2021 there had been 44": a bare number in a clause
    built like an earlier figure's counts the same thing; "94 casualties last year,
    compared with 133 in 2023": a bare number compared counts what the first figure does."""
    bare_object = ctx.number.dep_ == "pobj" and ctx.number.head.lower_ in ("from", "than", "against", "with")
    compared = bare_object and ctx.noun.i == ctx.number.i and ctx.number.head.head.lemma_.lower() in ("compare", "up", "down", "than", "against", "versus")
    sent = earlier.index.sent_no(ctx.number.i)
    if compared:
        first = earlier.first.get((sent, claim.kind))
        if first is not None:
            return first
    if ctx.noun.i != ctx.number.i or ctx.verb is None or not (bare_object or ctx.number.dep_ in ("attr", "nsubj", "nsubjpass", "dobj", "conj")):
        return "other"
    # the latest figure of the sentence with a metric, of the kind and with a verb of the same lemma
    return earlier.by_verb.get((sent, claim.kind, ctx.verb.lemma_), "other")


@Language.factory(
    "claim_metrics", default_config={"models_dir": None, "keep_other": True, "max_climb": 8, "context_sentences": 1}
)
def make_metrics(nlp: Language, name: str, models_dir: str | None, keep_other: bool, max_climb: int, context_sentences: int):
    return MetricAssigner(load_domain(models_dir), keep_other, max_climb, context_sentences)


def article_words(doc: Doc) -> frozenset[str]:
    """Every word of the article and its title: money and staff are tied to mine action by
    the article they are in."""
    title = {w for w in re.split(r"[^\w]+", (doc._.title or "").lower()) if w}
    # the sentences' words, read once per sentence for their bags, with those of the
    # sentences left unparsed (pipeline.selection)
    return frozenset(title.union(*(sentence_words(s) for s in doc_index(doc).sents)))


def sentence_bags(doc: Doc, before: int) -> dict[int, frozenset[str]]:
    """Per sentence start: its words and those of the sentences just before it:
    "Of these, 297 people died." is about the mines of the sentence before."""
    sents = doc_index(doc).sents
    own = [sentence_words(s) for s in sents]
    out = {}
    for k, s in enumerate(sents):
        bag: set[str] = set()
        for j in range(max(0, k - before), k + 1):
            bag |= own[j]
        out[s.start] = frozenset(bag)
    return out


def not_about_mines(ctx: Context, spec) -> bool:
    """"Yemen's war has killed an estimated 377,000 people": a war's dead, whether the clause
    or, failing a word of its own, the sentence speaks of the war and not of mines."""
    own = ctx.near | ctx.clause
    if bag_matches(own, spec.not_own_sentence) and not bag_matches(own, spec.context):
        return True
    return bag_matches(ctx.own_sentence, spec.not_own_sentence) and not bag_matches(ctx.own_sentence, spec.context)


OF_THEM = re.compile(r"\s+of\s+(?:them|whom|these|those|which)\b", re.I)


def counted_by(ctx: Context, verbs: tuple) -> bool:
    """The counted noun is what one of these verbs acts on, whole and not a part: "a mine
    killed four children", "two women were injured" ("killed 14 people, including four
    children" counts the children as a part of the dead)."""
    noun = ctx.noun
    verb = noun.head
    if verb.pos_ not in ("VERB", "AUX") or noun.dep_ not in ("dobj", "nsubjpass"):
        return False
    if any(c.lower_ == "of" for c in children(noun, "prep")):
        return False  # "killed four of the children"
    return bag_matches(frozenset(words(verb)), verbs)


def past_tense(ctx: Context, domain: Domain) -> bool:
    """The figure's verb tells of the past, with no modal: "Clearing it took 26 months";
    "it said it needed two more years" still looks ahead (reported speech)."""
    verb = ctx.verb
    if verb is None or verb.tag_ != "VBD" or verb.lemma_.lower() in ESTIMATING:
        return False  # "specialists put the time needed at 300 years": an estimate, not a past event
    noun = ctx.noun
    more = set(domain.more_words.get("after", ()))
    # "two more years" (looked for once per noun: a list's noun holds all its figures)
    if doc_index(noun.doc).memo(("more below", noun.i), lambda: any(t.lower_ in more for t in noun.subtree if t.i != noun.i)):
        return False
    return not children(verb, "aux")


def fronted_noun(ctx: Context) -> bool:
    """"Of the country's 1,122 municipalities, 391 have been declared free": a figure whose
    verb has a fronted "of" phrase with a noun says what it is a part of itself."""
    verb = ctx.verb
    if verb is None:
        return False
    return any(
        c.lower_ == "of" and c.i < ctx.number.i
        and any(p.pos_ in ("NOUN", "PROPN") and not any(d.lower_ in ("that", "this", "these", "those") for d in p.children) for p in children(c, "pobj"))
        for c in children(verb, "prep")
    )  # ("Of that area, 1.102.300 m2 lay in Erbil": "that area" is the whole itself)


class MetricAssigner:
    def __init__(self, domain: Domain, keep_other: bool, max_climb: int, context_sentences: int = 1):
        self.domain = domain
        self.keep_other = keep_other
        self.max_climb = max_climb
        self.context_sentences = context_sentences
        cues = domain.date_cues
        self.part_markers = tuple(sorted({m.lower() for m in domain.parts.get("within_sentence", ())}, key=lambda m: (-len(m), m)))
        self.breakdown_starts = tuple(sorted({m.lower() for m in cues.get("breakdown_starts", ())}, key=lambda m: (-len(m), m)))
        self.states = {k: frozenset(v) for k, v in domain.parts.get("states", {}).items()}
        self.restated = re.compile(r"^[\s(]*(?:" + "|".join(re.escape(w) for w in domain.parts.get("restated", ())) + r")?[\s(]*$", re.I)
        self.changes = _lemmas(domain, "change_verbs")
        compared = domain.parts.get("compared", ())
        hedges = sorted({w for ws in domain.qualifiers.values() for w in ws}, key=lambda w: (-len(w), w))
        self.compared = re.compile(
            r"\b(?:" + "|".join(re.escape(w) for w in sorted(compared, key=lambda w: (-len(w), w))) + r")\s+(?:(?:" + "|".join(re.escape(w) for w in hedges) + r")\s+)?$", re.I
        ) if compared else None
        self.metric_units = frozenset(spec.unit for spec in domain.metrics)
        self.metric_kinds = frozenset(spec.kind for spec in domain.metrics)

    def can_be_claim(self, claim: Claim) -> bool:
        """A figure some metric may take: its unit is a metric's (any currency for money), and
        the quantities step found no reason against it ("one" alone, "a third")."""
        return not claim.reason and (claim.unit in self.metric_units or (claim.kind == "money" and "money" in self.metric_kinds))

    def __call__(self, doc: Doc) -> Doc:
        # a figure no metric can take ("50 metres", "for 9 days") stays out of the step: it is
        # listed as `other` and is nobody's whole, part or neighbour
        aside = [(s, s._.claim) for s in claim_spans(doc) if not self.can_be_claim(s._.claim)]
        spans = [s for s in claim_spans(doc) if self.can_be_claim(s._.claim)]
        index = doc_index(doc)
        blocked = Figures({t.i for s in spans for t in s})
        bags = sentence_bags(doc, self.context_sentences)
        article = article_words(doc)
        contexts = []
        for span in spans:
            ctx = context(span, blocked, self.max_climb)
            ctx.sentence = bags.get(index.sent(span.start).start, ctx.sentence)
            ctx.article = article
            self.read_state(span, ctx, blocked)
            self.change_values(ctx)
            contexts.append(ctx)
        wholes = self.wholes(doc, spans)
        earlier = Earlier(index)
        pairs = earlier.pairs
        for k, (span, ctx) in enumerate(zip(spans, contexts)):
            claim: Claim = span._.claim
            whole, intro, within = wholes[k]
            own_verb = ctx.verb is not None and ctx.verb.lemma_.lower() not in ("be", "include", "comprise", "remain")
            relative = within and self.relative_part(span)
            named = not within and self.names_whole(index.sent(span.start))
            if whole is not None and not named and ((within and not (relative and own_verb)) or not own_verb):
                # "Of these, 29 were shells", "among them 412 mines": the whole's action; "Of
                # these, 297 people died" keeps its own
                ctx.clause = ctx.clause | contexts[whole].clause
            if intro is not None:
                ctx.clause = ctx.clause | intro  # a list item under "... found and destroyed:"
            reason = not_a_claim(ctx, claim, self.domain)
            metric = choose_metric(ctx, claim, self.domain, reason)
            if metric == "other" and not reason:
                metric = elliptical(ctx, claim, earlier)
            # no noun of its own: the number, a pronoun, or its unit ("1.102.300 m2 lay in Erbil")
            bare = (ctx.noun.i == ctx.number.i or ctx.noun.pos_ == "PRON" or span.start <= ctx.noun.i < span.end) and not fronted_noun(ctx)
            if named and metric == "other" and not reason:
                # "Of the total victims, 7,531 were members of the security forces": the
                # latest figure of the noun the sentence divides
                w = self.named_whole(span, earlier)
                if w is not None and w.kind == claim.kind:
                    metric = w.metric
            if metric == "other" and not reason and whole is not None and whole < len(pairs) and (within or bare):
                # "286 national staff, including 118 women", "found in the Kharkiv region (112)":
                # a part no metric names itself counts what its whole counts
                w = pairs[whole][1]
                if w.kind == claim.kind and w.metric != "other":
                    metric = w.metric
            if metric == "other" and not reason and claim.kind == "money":
                metric = self.restated_money(span, earlier)
            if bare and not reason and self.compared is not None and self.compared.search(index.text, max(0, span.start_char - 40), span.start_char):
                metric = self.compared_metric(span, claim, earlier) or metric  # "down from 165 000 sq km"
            given = self.restated_total(span, claim, earlier)
            if given is not None:
                metric = given  # "Of the 1,284 items destroyed, ...": the figure given before
            spec = self.domain.metric(metric)
            if within and spec is not None and bag_matches(ctx.head, spec.not_part):
                metric, spec = "other", None  # "injured 313, among them 145 deminers": staff among casualties
            also = tuple(other for other, terms in (spec.also if spec is not None else ()) if bag_matches(ctx.head, terms))
            also += tuple(other for other, verbs in (spec.also_verb if spec is not None else ()) if whole is None and counted_by(ctx, verbs))
            earlier.add(span, replace(claim, metric=metric, reason=reason, also=also), ctx)  # "22 were girls"
        # "27,480 people, 11,902 of them children, reached with risk education": a whole no
        # metric names counts what its "N of them" part counts, unless that metric only
        # ever counts parts (children, women among casualties)
        for k, span in enumerate(spans):
            if not OF_THEM.match(index.text[span.end_char : span.end_char + 16]):
                continue
            # the figure before it in its sentence (figures are in text order)
            whole = k - 1 if k and index.sent_no(spans[k - 1].start) == index.sent_no(span.start) else None
            if whole is not None and pairs[whole][1].metric == "other" and not pairs[whole][1].reason:
                part = pairs[k][1]
                spec = self.domain.metric(part.metric)
                if spec is not None and not spec.part_of and part.kind == pairs[whole][1].kind:
                    span_w, claim_w = pairs[whole]
                    pairs[whole] = (span_w, replace(claim_w, metric=part.metric))
        if not self.keep_other:
            pairs = [p for p in pairs if p[1].metric != "other"]
        # the two ends of a range count the same thing, whichever end the parse explains
        for k in range(len(pairs) - 1):
            (s1, c1), (s2, c2) = pairs[k], pairs[k + 1]
            if c1.bound == "lower_bound" and c2.bound == "upper_bound" and (c1.metric == "other") != (c2.metric == "other"):
                metric = c1.metric if c1.metric != "other" else c2.metric
                pairs[k], pairs[k + 1] = (s1, replace(c1, metric=metric)), (s2, replace(c2, metric=metric))
        set_claims(doc, pairs + (aside if self.keep_other else []))
        return doc

    def read_state(self, span: Span, ctx: Context, blocked: Figures) -> None:
        """"left four people dead and nine wounded", "one soldier dead and three more
        wounded": the word right after a figure says what happened to those it counts, and
        the other figures' words do not."""
        own = self.state_after(span, ctx)
        if own is None:
            return
        others = set()
        for t in self.state_words(doc_index(span.doc).sent(span.start)):
            if t.i not in blocked and t.i != own.i:
                others |= words(t)
        ctx.near = ctx.near | words(own)
        ctx.head = ctx.head | words(own)
        ctx.clause = (ctx.clause - others) | words(own)

    def state_words(self, sent: Span) -> list[Token]:
        """The state words of a sentence ("dead", "wounded"), found once per sentence."""
        return doc_index(sent.doc).memo(
            ("states", sent.start, sent.end), lambda: [t for t in sent if any(t.lower_ in words_ for words_ in self.states.values())]
        )

    def state_after(self, span: Span, ctx: Context) -> Token | None:
        """The state word right after the figure ("three more wounded") or after its noun
        ("four people dead")."""
        doc = span.doc
        sent_end = doc_index(doc).sent(span.start).end
        starts = [span.end] + ([ctx.noun.i + 1] if ctx.noun.i >= span.end else [])
        for j in starts:
            # "three more wounded", "thirty-eight (38) were injured"
            while j < sent_end and doc[j].lower_ in ("more", "other", "others", "people", "persons", ")", "were", "was", "been", "had", "have"):
                j += 1
            if j < sent_end and any(doc[j].lower_ in w for w in self.states.values()):
                if j + 2 < sent_end and doc[j + 1].lower_ in ("or", "and") and any(doc[j + 2].lower_ in w for w in self.states.values()):
                    return None  # "1,012 civilians have been killed or injured": both
                return doc[j]
        return None

    def change_values(self, ctx: Context) -> None:
        """"Casualties have risen from 382 in 2022 to 905 in 2023": the two values count the
        subject of the change."""
        number, verb = ctx.number, ctx.verb
        if verb is None or ctx.noun.i != number.i or number.dep_ != "pobj" or number.head.lower_ not in ("from", "to"):
            return
        if verb.lemma_.lower() not in self.changes:
            return
        for c in children(verb, "nsubj", "nsubjpass"):
            ctx.head = ctx.head | words(c)
            ctx.near = ctx.near | words(c)

    def wholes(self, doc: Doc, spans: list[Span]) -> list[tuple[int | None, frozenset[str] | None, bool]]:
        """For each figure, the figure it is a part of (an index), and the verbs of the list
        intro it is an item of: "12 450 items were destroyed, among them 412 anti-personnel
        mines"; "Of these, 29 were artillery projectiles"; "found and destroyed: - 63 mines".
        What figures of one sentence share (a marker's whole, a breakdown's whole, a list's
        intro) is looked for once: figures are in text order, each sentence's together."""
        index = doc_index(doc)
        sents = index.sents
        sent_nos = [index.sent_no(s.start) for s in spans]
        first_of: dict[int, int] = {}  # sentence -> its first figure
        for k, n in enumerate(sent_nos):
            first_of.setdefault(n, k)
        found_wholes: dict[tuple, int | None] = {}
        heads: list[int] = []  # per sentence, the nearest sentence before it that is no list item
        intros: dict[int, frozenset[str] | None] = {}
        out: list[tuple[int | None, frozenset[str] | None, bool]] = []
        for k, span in enumerate(spans):
            here = sent_nos[k]
            sent = sents[here]
            kind = span._.claim.kind
            whole = None
            found = self.marker_before(span)
            marker = found[0] if found else None
            if found and self.verb_between(sent, found[1], span.start):
                marker = None  # "killed 7, including 3 children, and injured 19": a new clause ends the list
            if marker is not None:
                key = ("marker", here, marker, kind)
                if key not in found_wholes:
                    # the latest figure of the kind that ends before the marker (the figures
                    # after the marker never do, so every figure after it finds the same)
                    found_wholes[key] = next((j for j in range(k - 1, first_of[here] - 1, -1) if spans[j].end <= marker and spans[j]._.claim.kind == kind), None)
                whole = found_wholes[key]
            within = whole is not None
            if whole is None and opens_with(sent, self.breakdown_starts):
                key = ("breakdown", here, kind)
                if key not in found_wholes:
                    # the latest figure of the kind in the two sentences before
                    found_wholes[key] = None
                    for j in range(first_of[here] - 1, -1, -1):
                        if here - sent_nos[j] > 2:
                            break
                        if spans[j]._.claim.kind == kind:
                            found_wholes[key] = j
                            break
                whole = found_wholes[key]
            intro = None
            if item_line(sent):
                while len(heads) <= here:
                    n = len(heads)
                    heads.append(-1 if n == 0 else (heads[n - 1] if item_line(sents[n - 1]) else n - 1))
                i = heads[here]
                if i not in intros:
                    intros[i] = None
                    if i >= 0 and index.span_text(sents[i]).rstrip().endswith(":"):
                        intros[i] = frozenset(w for t in sentence_verbs(sents[i]) for w in words(t))
                intro = intros[i]
            out.append((whole, intro, within))
        return out

    @staticmethod
    def verb_between(sent: Span, start: int, end: int) -> bool:
        """A verb (not an adjective's or a compound's) between two tokens of the sentence."""
        verbs = doc_index(sent.doc).memo(
            ("clause verbs", sent.start, sent.end),
            lambda: [t.i for t in sent if t.pos_ in ("VERB", "AUX") and t.dep_ not in ("amod", "compound")],
        )
        at = bisect_left(verbs, start)
        return at < len(verbs) and verbs[at] < end

    @staticmethod
    def names_whole(sent: Span) -> bool:
        """"Of the total victims, 7,531 were ...", "Of the land released, ...": the sentence
        says itself what it divides (not "Of these", "Of them")."""
        first = next((t for t in sent if not t.is_punct and not t.is_space and not t._.bullet), None)
        if first is None or first.lower_ != "of":
            return False
        return any(c.pos_ in ("NOUN", "PROPN") for c in children(first, "pobj"))

    @staticmethod
    def named_whole(span: Span, earlier: Earlier) -> Claim | None:
        """The latest earlier figure that counts the noun of this sentence's opening "Of the
        X" ("12,397 victims, of which 2,383 died ... Of the total victims, ..." -> the
        12,397), else the latest in whose sentence the noun stands (figures of earlier
        sentences with a metric)."""
        sent = earlier.index.sent(span.start)
        first = next(t for t in sent if not t.is_punct and not t.is_space and not t._.bullet)
        nouns = {p.lemma_.lower() for p in children(first, "pobj")}
        earlier.close_before(earlier.index.sent_no(span.start))
        found = earlier.latest_of(nouns, earlier.by_noun)
        return found if found is not None else earlier.latest_of(nouns, earlier.by_sentence_noun)

    def relative_part(self, span: Span) -> bool:
        """"of whom 346 were killed", "of which 9.1 million were cleared": a part with a
        clause of its own keeps its own verb."""
        found = self.marker_before(span)
        return found is not None and span.doc[found[0]].lower_ == "of"

    def marker_before(self, span: Span) -> tuple[int, int] | None:
        """The tokens (start, end) of the last "among them", "including" before this figure
        in its sentence."""
        doc = span.doc
        index = doc_index(doc)
        sent = index.sent(span.start)
        places = index.memo(("part markers", sent.start, sent.end), lambda: self.marker_places(index, sent))
        # the lower-case text before the figure: its length in the sentence's lower case
        before = doc[span.start - 1].idx + len(doc[span.start - 1]) - sent.start_char if span.start > sent.start else 0
        if not places.same_length:
            before = len(index.text[sent.start_char : sent.start_char + before].lower())
        best = None
        for m in self.part_markers:
            # the last time the marker is written wholly before the figure
            k = bisect_right(places.at[m], before - len(m)) - 1
            at = places.at[m][k] if k >= 0 else -1
            if at >= 0 and (at == 0 or not places.low[at - 1].isalnum()) and (best is None or at > best[0]):
                best = (at, m)
        if best is None:
            return None
        char = sent.start_char + best[0]
        tok = doc.char_span(char, char + len(best[1]), alignment_mode="expand")
        return (tok.start, tok.end) if tok is not None else None

    def marker_places(self, index: DocIndex, sent: Span) -> "_MarkerPlaces":
        """Where each part marker is written in a sentence, in its lower case."""
        text = index.span_text(sent)
        low = text.lower()
        at: dict[str, list[int]] = {}
        for m in self.part_markers:
            found, k = [], low.find(m)
            while k >= 0:
                found.append(k)
                k = low.find(m, k + 1)
            at[m] = found
        return _MarkerPlaces(low, at, len(low) == len(text))

    def restated_total(self, span: Span, claim: Claim, earlier: Earlier) -> str | None:
        """A figure in the "Of the 1,284 items destroyed" that opens a breakdown names a total
        given before: it counts what that figure counts (one claim, by the contract)."""
        index = earlier.index
        sent = index.sent(span.start)
        if not opens_with(sent, self.breakdown_starts) or sent[0].lower_ not in ("of", "among"):
            return None
        opening = index.memo(("opening phrase", sent.start, sent.end), lambda: frozenset(t.i for t in sent[0].subtree))
        if span.start not in opening:
            return None
        # the latest figure with a metric of the same value and unit
        return earlier.by_value.get((claim.value, claim.unit))

    def compared_metric(self, span: Span, claim: Claim, earlier: Earlier) -> str:
        """The metric of the latest figure of the same unit in this sentence or the one before
        ("" when none has one): "down from 165 000 sq km" counts what it is compared with."""
        index = earlier.index
        here = index.sent_no(span.start)
        for prev, c in reversed(earlier.pairs):
            if index.sent_no(prev.start) < here - 1:
                break
            if c.unit == claim.unit and c.metric != "other":
                return c.metric
        return ""

    def restated_money(self, span: Span, earlier: Earlier) -> str:
        """"JPY 480 million (approximately USD 3.4 million)": the same money in another
        currency counts what the first amount counts (the sentence's latest sum before)."""
        index = earlier.index
        found = earlier.money.get(index.sent_no(span.start))
        if found is None:
            return "other"
        prev, claim = found
        between = index.text[prev.end_char : span.start_char]
        if claim.metric != "other" and self.restated.match(between):
            return claim.metric
        return "other"


@dataclass(frozen=True)
class _MarkerPlaces:
    """A sentence in lower case and where each part marker starts in it; `same_length`: the
    lower case has one character for each of the text's."""

    low: str
    at: dict[str, list[int]]
    same_length: bool


def explain(span, domain: Domain | None = None) -> dict[str, object]:
    """The bags a figure was judged on: for debugging a metric from Python."""
    domain = domain or load_domain()
    blocked = {t.i for s in claim_spans(span.doc) for t in s}
    ctx = context(span, blocked)
    return {
        "noun": ctx.noun.text,
        "verb": ctx.verb.text if ctx.verb is not None else None,
        "head": sorted(ctx.head),
        "near": sorted(ctx.near),
        "clause": sorted(ctx.clause),
        "not_a_claim": not_a_claim(ctx, span._.claim, domain),
    }

