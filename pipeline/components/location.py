"""Step 4: where each figure is about: its country (`location`) and region (`region`).

Place names in the text (spaCy GPE/LOC entities, and the gazetteer's country and
territory names where spaCy misses or splits them) are resolved to countries by the
gazetteer (pipeline/places.py): a name that is no place (an agency's acronym, a
technique) is dropped. A figure is about the nearest place in its sentence by the
dependency parse, leaving out places named in a role that is not what the figure is
about (models/places.yaml, `not_about`: the donor, the country that dropped the bombs,
where a meeting was held); else the article's own place: its most named country and,
when the article names one of that country's regions more often than the country
itself, that region.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from ..domain import Domain, load_domain
from ..places import Place, names_a_kind
from .claim import claim_spans, set_claims
from .index import doc_index
from .syntax import number_token


def tree_distance(a: Token, b: Token) -> int:
    """Edges between two tokens in the dependency tree."""
    up_a = {a.i: 0}
    t, d = a, 0
    while t.head.i != t.i:
        t, d = t.head, d + 1
        up_a[t.i] = d
    t, d = b, 0
    while True:
        if t.i in up_a:
            return up_a[t.i] + d
        if t.head.i == t.i:
            return 99
        t, d = t.head, d + 1


def article_place(mentions: list[tuple[Span, Place]]) -> Place | None:
    """The article's own place: the country it names most (a region's mention counts for
    its country; ties: the one named first), and that country's most named region when
    the article names the region more often than the country itself, and twice at least."""
    if not mentions:
        return None
    by_country = Counter(p.country for _, p in mentions)
    best = max(by_country.values())
    country = next(p.country for _, p in mentions if by_country[p.country] == best)
    bare = sum(1 for _, p in mentions if p.country == country and not p.region)
    regions = Counter(p.region for _, p in mentions if p.country == country and p.region)
    code = next(p.code for _, p in mentions if p.country == country)
    if regions:
        top = max(regions.values())
        region = next(p.region for _, p in mentions if p.region and regions[p.region] == top and p.country == country)
        if top > bare and top >= 2:  # one mention of a region does not make an article about it
            return Place(country, region, code)
    return Place(country, "", code)


@Language.factory("claim_location", default_config={"labels": ["GPE", "LOC"], "models_dir": None})
def make_location(nlp: Language, name: str, labels: list[str], models_dir: str | None):
    return LocationFinder(nlp, tuple(labels), load_domain(models_dir))


class LocationFinder:
    def __init__(self, nlp: Language, labels: tuple[str, ...], domain: Domain):
        self.labels = labels
        self.make_doc = nlp.make_doc
        self.gazetteer = domain.places
        self.matcher = PhraseMatcher(nlp.vocab)
        self.matcher.add("PLACE", [nlp.make_doc(p) for p in self.gazetteer.names()])
        self.givers = frozenset(domain.not_about.get("giver", ()))
        self.venues = frozenset(domain.not_about.get("venue", ()))
        self.money = frozenset(domain.not_about.get("money", ()))

    def places(self, doc: Doc) -> list[Span]:
        """spaCy's places, with the gazetteer's names winning where they overlap."""
        found = [Span(doc, s, e, label="GPE") for _, s, e in self.matcher(doc)]
        found = filter_spans(found)
        taken = {t for sp in found for t in range(sp.start, sp.end)}
        for e in doc.ents:
            if e.label_ in self.labels and not any(t in taken for t in range(e.start, e.end)):
                found.append(e)
        return sorted(found, key=lambda sp: sp.start)

    def not_about(self, mention: Span) -> str:
        """The role in which a place is named that makes it not what the figure is about,
        or "": a giver ("Japan gave", "Japan signed a grant", "a grant from Japan", "funded
        by the Government of Japan", "Russia's invasion", "the U.S. Embassy"), a venue ("a
        conference in Geneva"), a currency ("U.S. dollars"), or any "from" ("returned from
        Pakistan")."""
        t = mention.root
        while True:
            if t.dep_ == "conj" and t.head.i != t.i:
                t = t.head  # "from Canada and Australia": Australia stands where Canada does
            elif t.dep_ in ("compound", "poss", "amod", "nmod", "appos", "npadvmod") and t.head.pos_ in ("NOUN", "PROPN", "VERB"):
                if t.head.lemma_.lower() in self.givers:
                    return "giver"  # "Russia's invasion", "U.S.-funded", "the U.S. Embassy"
                if t.head.lemma_.lower() in self.money:
                    return "money"
                if t.head.pos_ == "VERB":
                    break
                t = t.head  # "the US government" -> government
            elif t.dep_ == "pobj" and t.head.lower_ == "of" and t.head.head.pos_ in ("NOUN", "PROPN"):
                t = t.head.head  # "the Government of Japan" -> Government
            else:
                break
        if t.dep_ in ("nsubj", "nsubjpass"):
            verbs = [t.head, *(c for c in t.head.children if c.dep_ in ("xcomp", "acomp"))]
            verbs += [g for v in verbs[1:] for g in v.children if g.dep_ == "xcomp"]  # "is pleased to announce"
            if any(v.lemma_.lower() in self.givers for v in verbs):
                return "giver"
            if any(c.dep_ == "dobj" and c.lemma_.lower() in self.givers for c in t.head.children):
                return "giver"  # "Japan signed a grant", "New Zealand confirmed a contribution"
        if t.dep_ == "pobj":
            prep, target = t.head, t.head.head
            owner = target.head if target.dep_ == "acl" else target  # "donors led by Japan"
            if prep.lower_ == "from":
                return "giver"
            if prep.lower_ == "by" and {target.lemma_.lower(), owner.lemma_.lower()} & self.givers:
                return "giver"
            if prep.lower_ in ("in", "at") and target.lemma_.lower() in self.venues:
                return "venue"
        return ""

    def resolve(self, spans: list[Span]) -> list[tuple[Span, Place]]:
        """Each name that is a place, with its place. Countries first, so that a city or
        region name resolves inside the countries the article names when it can."""
        # the gazetteer folds "the", possessives and kind words itself ("the Kharkiv Oblast's")
        first = [self.gazetteer.lookup(sp.text) for sp in spans]
        named = {p.code for p in first if p is not None and not p.region}

        # a LOC entity (a range, a sea, "the south") is a city only when it says so ("Kharkiv region")
        def cities(span: Span) -> bool:
            after = span.doc[span.end].text if span.end < len(span.doc) else ""
            return span.label_ != "LOC" or names_a_kind(span.text) or names_a_kind(after)

        # a country is the same whatever else the article names; only regions and cities look again
        found = [(sp, p if p is not None and not p.region else self.gazetteer.lookup(sp.text, prefer=named, cities=cities(sp))) for sp, p in zip(spans, first)]
        return [(span, place) for span, place in found if place is not None]

    def named_in(self, text: str) -> list[tuple[Span, Place]]:
        """The gazetteer's country and territory names in a title or an outlet's name."""
        if not text:
            return []
        head = self.make_doc(text)
        return self.resolve(filter_spans([Span(head, s, e) for _, s, e in self.matcher(head)]))

    def __call__(self, doc: Doc) -> Doc:
        mentions = self.resolve(self.places(doc))
        # the article's own place: the places it names, other than givers and currencies, and
        # the place its title names; an article that names none is about its outlet's place
        roles = [self.not_about(m) for m, _ in mentions]  # once per place named, not per figure
        votes = [mp for mp, role in zip(mentions, roles) if role not in ("giver", "money")] + self.named_in(doc._.title)
        # the places of the sentences the parser did not read (pipeline.selection), by name
        votes += self.named_in(doc_index(doc).hidden_text(doc[:]))
        home = article_place(votes or self.named_in(doc._.outlet))
        doc._.place = home.country if home else ""
        index = doc_index(doc)
        by_sentence: dict[int, list[tuple[Span, Place]]] = {}  # the places each figure may be about
        for (span, place), role in zip(mentions, roles):
            if not role:
                by_sentence.setdefault(index.sent_no(span.start), []).append((span, place))
        pairs = []
        for span in claim_spans(doc):
            near = by_sentence.get(index.sent_no(span.start), [])
            where = home
            if near:
                number = number_token(span)
                where = min(near, key=lambda mp: (tree_distance(number, mp[0].root), abs(mp[0].start - span.start)))[1]
            pairs.append((span, replace(span._.claim, location=where.country if where else "", region=where.region if where else "")))
        set_claims(doc, pairs)
        return doc
