"""Step 2: what each figure counts.

The metric comes from the dependency parse (see syntax.py): the noun the number counts,
its governing verb and their dependents, matched against models/taxonomy.yaml. Figures
that are plans, rates, changes or ratios are never claims (labeling guide); they, and
figures that fit no metric, become metric "other".
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from ..domain import Domain, bag_matches, load_domain
from .claim import Claim, claim_spans, set_claims
from .syntax import Context, clause_ancestors, context, words


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
        aux = {w for c in verb.children if c.dep_ in ("aux", "auxpass") for w in words(c)}
        if bag_matches(aux, domain.not_claims.get("future_aux", ())):
            return "future"
    # rates and averages
    periods = _lemmas(domain, "rate_periods")
    dets = _lemmas(domain, "rate_determiners")
    anchors = [ctx.noun] + ([verb] if verb is not None else [])
    for anchor in anchors:
        for c in anchor.children:
            if c.lemma_.lower() in periods and any(d.lower_ in dets for d in c.children):
                return "rate"
            if c.dep_ == "prep" and c.lower_ in dets:
                if any(p.lemma_.lower() in periods for p in c.children):
                    return "rate"
            if bag_matches(words(c) | {w for g in c.children for w in words(g)}, domain.not_claims.get("rate_adverbs", ())) and c.dep_ in ("advmod", "npadvmod", "amod", "prep"):
                return "rate"
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
        if spec.article and not bag_matches(ctx.sentence | ctx.title, spec.article):
            continue
        if spec.not_near and bag_matches(ctx.head, spec.not_near):
            continue
        if spec.not_action and bag_matches(ctx.near | ctx.clause, spec.not_action):
            continue
        return spec.id
    return "other"


def elliptical(ctx: Context, claim: Claim, before: list, contexts: list[Context]) -> str:
    """"31 mine victims in 2022; in 2021 there had been 44": a bare number in a clause
    built like an earlier figure's counts the same thing."""
    bare_object = ctx.number.dep_ == "pobj" and ctx.number.head.lower_ in ("from", "than", "against", "with")
    if ctx.noun.i != ctx.number.i or ctx.verb is None or not (bare_object or ctx.number.dep_ in ("attr", "nsubj", "nsubjpass", "dobj", "conj")):
        return "other"
    for (span, prev), pctx in zip(reversed(before), reversed(contexts)):
        if span.sent.start != ctx.number.sent.start:
            break
        if prev.metric != "other" and prev.kind == claim.kind and pctx.verb is not None and pctx.verb.lemma_ == ctx.verb.lemma_:
            return prev.metric
    return "other"


@Language.factory(
    "claim_metrics", default_config={"models_dir": None, "keep_other": True, "max_climb": 8, "context_sentences": 1}
)
def make_metrics(nlp: Language, name: str, models_dir: str | None, keep_other: bool, max_climb: int, context_sentences: int):
    return MetricAssigner(load_domain(models_dir), keep_other, max_climb, context_sentences)


def title_words(doc: Doc) -> frozenset[str]:
    return frozenset(w for w in re.split(r"[^\w]+", (doc._.title or "").lower()) if w)


def sentence_bags(doc: Doc, before: int) -> dict[int, frozenset[str]]:
    """Per sentence start: its words and those of the sentences just before it:
    "Of these, 297 people died." is about the mines of the sentence before."""
    sents = list(doc.sents)
    own = [frozenset(w for t in s for w in words(t)) for s in sents]
    out = {}
    for k, s in enumerate(sents):
        bag: set[str] = set()
        for j in range(max(0, k - before), k + 1):
            bag |= own[j]
        out[s.start] = frozenset(bag)
    return out


class MetricAssigner:
    def __init__(self, domain: Domain, keep_other: bool, max_climb: int, context_sentences: int = 1):
        self.domain = domain
        self.keep_other = keep_other
        self.max_climb = max_climb
        self.context_sentences = context_sentences

    def __call__(self, doc: Doc) -> Doc:
        spans = claim_spans(doc)
        blocked = {t.i for s in spans for t in s}
        bags = sentence_bags(doc, self.context_sentences)
        title = title_words(doc)
        pairs = []
        contexts = []
        for span in spans:
            claim: Claim = span._.claim
            ctx = context(span, blocked, self.max_climb)
            ctx.sentence = bags.get(span.sent.start, ctx.sentence)
            ctx.title = title
            reason = not_a_claim(ctx, claim, self.domain)
            metric = choose_metric(ctx, claim, self.domain, reason)
            if metric == "other" and not reason:
                metric = elliptical(ctx, claim, pairs, contexts)
            contexts.append(ctx)
            pairs.append((span, replace(claim, metric=metric, reason=reason)))
        if not self.keep_other:
            pairs = [p for p in pairs if p[1].metric != "other"]
        # the two ends of a range count the same thing, whichever end the parse explains
        for k in range(len(pairs) - 1):
            (s1, c1), (s2, c2) = pairs[k], pairs[k + 1]
            if c1.bound == "lower_bound" and c2.bound == "upper_bound" and (c1.metric == "other") != (c2.metric == "other"):
                metric = c1.metric if c1.metric != "other" else c2.metric
                pairs[k], pairs[k + 1] = (s1, replace(c1, metric=metric)), (s2, replace(c2, metric=metric))
        set_claims(doc, pairs)
        return doc


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

