"""Reading the dependency parse around a figure.

Shared by the metric, qualifier, date and location steps: which noun a number counts,
which verb governs it, and the bags of lemmas that describe both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Container

from spacy.tokens import Span, Token

from .index import doc_index, sent_of

MODIFIER_DEPS = {"amod", "compound", "nmod", "poss", "nummod", "quantmod", "advmod", "npadvmod", "det"}
ARG_DEPS = {"dobj", "attr", "acomp", "oprd", "xcomp", "agent", "prt", "neg", "dative", "nsubj", "nsubjpass", "ccomp", "advcl", "npadvmod", "advmod", "aux", "auxpass", "acl"}
NOUN_PREPS = {"of"}
TRANSPARENT_VERBS = {"include", "including", "comprise", "total", "number"}
TIME_NOUNS = {"year", "month", "week", "day", "time", "period", "decade", "hour", "quarter", "season"}


def words(tok: Token) -> set[str]:
    """The forms a term may match: lemma, lower-case text and its plain inflections.

    The lemmatizer is not always right ("installed" -> "instal"), so the text's simple
    stems count too: "installed" -> install, "mines" -> mine, "casualties" -> casualty.
    """
    return {tok.lemma_.lower()} | forms(tok.lower_)


@lru_cache(maxsize=1 << 16)
def forms(text: str) -> frozenset[str]:
    """A lower-case word's plain inflections, and its parts' ("de-miners" -> de, miner);
    remembered, as the same words come back in every article."""
    out: set[str] = set()
    for form in [text] + ([p for p in text.split("-") if p] if "-" in text else []):
        out |= _stems(form)
    return frozenset(out)


def _stems(text: str) -> set[str]:
    out = {text}
    if len(text) > 4:
        if text.endswith("ies"):
            out.add(text[:-3] + "y")
        if text.endswith("es"):
            out.add(text[:-2])
        if text.endswith("s") and not text.endswith("ss"):
            out.add(text[:-1])
        if text.endswith("ed"):
            out.update((text[:-2], text[:-1]))
        if text.endswith("ing"):
            out.update((text[:-3], text[:-3] + "e"))
    return out


@dataclass
class Context:
    """What the parse says about one figure."""

    number: Token  # the syntactic head of the figure's span
    noun: Token  # what the figure counts (the number itself when nothing else)
    path: list[Token]  # from the noun up to and including the governing verb
    verb: Token | None
    head: frozenset[str]  # the counted noun and its coordinated nouns
    near: frozenset[str]  # the counted noun phrase
    clause: frozenset[str]  # the path, the verb and its arguments
    sentence: frozenset[str]  # the figure's sentence; the metric step widens it to its context
    own_sentence: frozenset[str] = frozenset()
    article: frozenset[str] = frozenset()  # every word of the article and its title (metric step)
    described: frozenset[str] = frozenset()  # the verbs of clauses on the counted noun ("the $24 million requested")
    verbs: tuple[frozenset[str], ...] = ()  # each verb governing the figure: its verb and those sharing its arguments


def children(tok: Token, *deps: str) -> list[Token]:
    """A token's children with one of these dependency labels (all of them with none), in
    text order, sorted out once per article: the head of a list may have thousands of
    children, and each figure of the list asks about them."""
    by_dep = doc_index(tok.doc).memo(("children", tok.i), lambda: _children_by_dep(tok))
    if len(deps) == 1:
        return by_dep.get(deps[0], [])
    if not deps:
        return by_dep[""]
    return sorted((c for d in set(deps) for c in by_dep.get(d, ())), key=lambda c: c.i)


def _children_by_dep(tok: Token) -> dict[str, list[Token]]:
    out: dict[str, list[Token]] = {"": []}
    for c in tok.children:
        out[""].append(c)
        out.setdefault(c.dep_, []).append(c)
    return out


class Figures:
    """The tokens of an article's figures; for each token asked about, its children sorted
    once into figure tokens and the others (see Others)."""

    def __init__(self, tokens: set[int]):
        self.tokens = tokens
        self._split: dict[int, tuple[list[Token], frozenset[int]]] = {}

    def __contains__(self, i: object) -> bool:
        return i in self.tokens

    def split(self, tok: Token) -> tuple[list[Token], frozenset[int]]:
        """(the children that are no figure's, the figure tokens among the children)."""
        if tok.i not in self._split:
            kids = children(tok)
            self._split[tok.i] = ([c for c in kids if c.i not in self.tokens], frozenset(c.i for c in kids if c.i in self.tokens))
        return self._split[tok.i]


class Others:
    """The tokens of the other figures: every figure token of the article less this figure's
    own, plus any a look must not pass. A view, not a copy: copying the article's figure
    tokens for each figure costs the square of their number."""

    __slots__ = ("figures", "own", "more")

    def __init__(self, figures: Figures, own: set[int], more: frozenset[int] | set[int] = frozenset()):
        self.figures, self.own, self.more = figures, own, more

    def __contains__(self, i: object) -> bool:
        return i in self.more or (i in self.figures and i not in self.own)

    def __or__(self, more: set[int]) -> "Others":
        return Others(self.figures, self.own - more, self.more | more)

    def open_children(self, tok: Token) -> list[Token]:
        """tok's children outside this set, in text order, without going through the
        children that are other figures' tokens."""
        free, figure_kids = self.figures.split(tok)
        kids = [c for c in free if c.i not in self.more]
        kids += [tok.doc[i] for i in self.own if i in figure_kids and i not in self.more]
        return sorted(kids, key=lambda c: c.i)


def open_children(tok: Token, blocked: Container[int]) -> list[Token]:
    """tok's children that are not in `blocked`, in text order."""
    if isinstance(blocked, Others):
        return blocked.open_children(tok)
    return [c for c in children(tok) if c.i not in blocked]


def _blocked_subtree(tok: Token, blocked: Container[int]) -> bool:
    return any(t.i in blocked for t in tok.subtree)


def phrase(tok: Token, blocked: Container[int], depth: int = 3) -> set[str]:
    """A noun with its modifiers and its prepositional phrases, to a depth."""
    out = set(words(tok))
    if depth <= 0:
        return out
    for child in open_children(tok, blocked):
        if _blocked_subtree(child, blocked):
            if child.dep_ in ("acl", "relcl"):
                out |= words(child)  # "the haul, collected by nine sappers": the verb, not the figure's words
            elif child.dep_ == "prep" and child.lower_ in NOUN_PREPS:
                out |= own_object(child, blocked)  # "15 percent of the territory of the two districts"
            continue
        if child.dep_ in MODIFIER_DEPS or child.dep_ in ("appos", "conj"):
            out |= phrase(child, blocked, depth - 1)
        elif child.dep_ == "prep" and child.lower_ in NOUN_PREPS:
            # "units of unexploded ordnance": what is counted; "mines around the village"
            # says where, not what, so other prepositions stay out
            out |= words(child)
            for pobj in children(child, "pobj", "pcomp"):
                if not _blocked_subtree(pobj, blocked):
                    out |= phrase(pobj, blocked, depth - 1)
        elif child.dep_ in ("acl", "relcl", "xcomp"):
            out |= verb_args(child, blocked, depth - 1)  # "unable to return"
    return out


def own_object(prep: Token, blocked: Container[int]) -> set[str]:
    """A preposition and its object's own word, when a sibling figure hangs below the object."""
    return set(words(prep)) | {w for p in children(prep, "pobj") if p.i not in blocked for w in words(p)}


def verb_args(verb: Token, blocked: Container[int], depth: int = 2, skip: Token | None = None) -> set[str]:
    """A verb with its particles, objects, complements and prepositional phrases."""
    out = set(words(verb))
    for child in open_children(verb, blocked):
        if skip is not None and child.i == skip.i:
            continue
        if child.dep_ in ("advcl", "ccomp") and _has(child, ("nsubj", "nsubjpass", "expl")):
            continue  # a clause with its own subject tells of another event
        if child.dep_ in ARG_DEPS or child.dep_ == "prep":
            if _blocked_subtree(child, blocked):
                # a sibling figure: its own words, not its whole phrase
                if child.dep_ in ("nsubj", "nsubjpass"):
                    continue
                # "suffered from mines, including 358 children": the object's own word too
                out |= own_object(child, blocked) if child.dep_ in ("prep", "agent") else words(child)
                continue
            if child.dep_ in ("prep", "agent"):  # "harmed by landmines": the agent's object too
                out |= words(child)
                for pobj in children(child, "pobj", "pcomp", "amod", "acomp"):
                    if pobj.dep_ in ("pobj", "pcomp"):
                        out |= phrase(pobj, blocked, depth + 1)
                    elif pobj.i not in blocked:
                        out |= words(pobj)  # "recorded as hazardous"
            elif child.pos_ in ("VERB", "AUX"):
                out |= verb_args(child, blocked, depth - 1) if depth > 0 else set(words(child))
            else:
                out |= phrase(child, blocked, depth)
        elif child.dep_ == "conj" and child.pos_ in ("VERB", "AUX"):
            # "identified and defused": a verb conjunct that shares subject and object
            # ("surveyed 5,000 ha and cleared 800 ha" share neither)
            if shares_arguments(child, verb):
                out |= verb_args(child, blocked, depth - 1) if depth > 0 else set(words(child))
    return out


SKIP_POS = {"DET", "ADV", "ADP", "SYM", "PUNCT", "CCONJ", "PART"}


def number_token(span: Span) -> Token:
    """The token that carries a figure: "A dozen" -> dozen, "about 3,400" -> 3,400."""
    inside = {t.i for t in span}
    tops = [t for t in span if t.head.i not in inside or t.head.i == t.i]
    for t in reversed(tops):
        if t.pos_ not in SKIP_POS:
            return t
    for t in reversed(list(span)):
        if t.like_num:
            return t
    return span.root


def _has(tok: Token, deps: tuple[str, ...]) -> bool:
    return any(children(tok, d) for d in deps)


def shares_arguments(a: Token, b: Token) -> bool:
    """Two coordinated verbs describe one event when they share the subject and at most
    one has an object: "were identified and defused", "killed or injured 610 people";
    "surveyed 5,000 ha and cleared 800 ha" are two events."""
    subj = ("nsubj", "nsubjpass", "expl")
    if _has(a, subj) and _has(b, subj) or (a.dep_ == "conj" and _has(a, subj)) or (b.dep_ == "conj" and _has(b, subj)):
        return False
    return not (_has_object(a, b) and _has_object(b, a))


def _has_object(verb: Token, other: Token) -> bool:
    """A verb, or a verb coordinated with it other than `other`, has an object of its own:
    "killed 19,832 people and injured or maimed 45,317 others" are two events."""
    if _has(verb, ("dobj", "attr")):
        return True
    coordinated = list(children(verb, "conj"))
    if verb.dep_ == "conj":  # "injured or maimed 45,317 others", parsed as two conjuncts of "killed"
        coordinated += [c for c in children(verb.head, "conj") if c.i > verb.i]
    return any(c.pos_ in ("VERB", "AUX") and c.i != other.i and _has(c, ("dobj", "attr")) for c in coordinated)


def counted_noun(span: Span) -> tuple[Token, Token]:
    """(number token, counted noun) of a figure span."""
    number = number_token(span)
    sent_end = sent_of(span).end
    tok = number
    # "between 2 and 3 million mines": the second number is a conjunct of the first
    while tok.dep_ == "conj" and tok.head.pos_ == "NUM" and tok.head.i != tok.i:
        tok = tok.head
    # "1.5 million mines", "302 citizens": the number modifies the noun
    while tok.dep_ in ("nummod", "quantmod", "compound", "npadvmod", "amod", "advmod", "det", "nmod") and tok.head.i != tok.i:
        if tok.head.pos_ in ("NOUN", "PROPN", "NUM", "ADJ", "PRON"):
            tok = tok.head
        else:
            break
    # "27 mine and ERW casualties": a singular noun and a plural one share the number
    if tok.tag_ == "NN" and tok.i + 1 < len(tok.doc) and tok.doc[tok.i + 1].lower_ in ("and", "or"):
        for c in children(tok, "conj"):
            if c.tag_ == "NNS":
                return number, c
    # "610 were children", "three of the victims were women", "44 are minors": with a
    # copula, the noun after it is what the number counts
    if tok.i == number.i and tok.dep_ in ("nsubj",) and tok.head.lemma_ == "be":
        for c in children(tok.head, "attr"):
            if c.pos_ in ("NOUN", "PROPN"):
                return number, c
    # "six were children and two were women": the parse may hang the second number anywhere;
    # a number written right before a copula and a noun counts that noun
    if tok.i == number.i and span.end + 1 < sent_end and span.doc[span.end].lemma_ == "be":
        doc = span.doc
        j = span.end + 1
        while j < sent_end and doc[j].pos_ in ("DET", "ADJ", "NUM"):
            j += 1
        if j < sent_end and doc[j].pos_ in ("NOUN", "PROPN") and doc[j].lemma_.lower() not in TIME_NOUNS:
            return number, doc[j]
    put = estimated_object(tok) if tok.i == number.i else None
    if put is not None:
        return number, put
    # "Children accounted for 11 of the casualties", "the hazardous areas numbered 128": a
    # figure of a verb of amounting counts the verb's subject
    verb = tok.head.head if tok.dep_ == "pobj" and tok.head.lower_ in ("for", "at", "to", "between", "from") else tok.head
    if tok.i == number.i or tok.dep_ == "pobj" or verb.i != tok.head.i:
        subject = amounting_subject(verb, tok)
        if subject is not None:
            return number, subject
    # "361 of our citizens", "a total of 88,260 mines": the noun after "of"; "164 of them
    # minefields", "21 of them children": after a pronoun, the noun the number goes with
    if tok.pos_ == "NUM" or tok.lemma_.lower() in ("total", "number", "some", "all"):
        for child in children(tok, "prep"):
            if child.lower_ == "of":
                for pobj in children(child, "pobj"):
                    if pobj.pos_ in ("NOUN", "PROPN", "PRON"):
                        if pobj.pos_ == "PRON" and tok.head.pos_ in ("NOUN", "PROPN") and tok.head.i > pobj.i:
                            return number, tok.head
                        return number, pobj
    # "1.2m people", "312 suspected and confirmed minefields": a number the parse left without
    # a noun counts the noun written after it (past the words that describe it)
    if tok.i == number.i and span.end < sent_end:
        j = span.end
        doc = span.doc
        while j < min(span.end + 4, sent_end) and (doc[j].tag_ in ("JJ", "VBN", "VBD", "CC") or doc[j].lower_ in ("-", ")", '"', "“", "”", "'", "‘")):
            j += 1
        nxt = doc[j] if j < sent_end else doc[span.end]
        timed = nxt.lemma_.lower() in TIME_NOUNS  # "rose to 530 last year"
        if nxt.pos_ in ("NOUN", "PROPN") and not timed and (nxt.dep_ not in ("pobj",) or j > span.end) and not any(c.i == nxt.i for c in children(tok, "prep")):
            if tok.dep_ in ("nsubj", "nsubjpass", "dobj", "compound", "nummod", "ROOT", "pobj"):
                return number, nxt
    return number, tok


AMOUNTING = {"account", "make", "represent", "constitute", "number", "total", "amount", "stand", "reach", "comprise", "vary", "range"}
ESTIMATING = {"put", "estimate", "place", "set", "fix", "peg"}  # "put the number at N"
COUNT_NOUNS = {"number", "total", "toll", "count", "estimate", "figure"}


def counted_within(noun: Token) -> Token:
    """"the number of mines", "estimates of the number of mines": the thing counted."""
    for _ in range(3):
        if noun.lemma_.lower() not in COUNT_NOUNS and noun.lower_ not in COUNT_NOUNS:
            return noun
        inner = next((o for p in children(noun, "prep") if p.lower_ == "of" for o in children(p, "pobj")), None)
        if inner is None:
            return noun
        noun = inner
    return noun


def estimated_object(figure: Token) -> Token | None:
    """"put the number of mines at 500,000", "estimate the toll at 40": what is put at N."""
    prep = figure.head
    if figure.dep_ != "pobj" or prep.lower_ != "at" or prep.head.lemma_.lower() not in ESTIMATING:
        return None
    for c in children(prep.head, "dobj", "nsubjpass"):
        return counted_within(c)
    return None


def amounting_subject(verb: Token, figure: Token) -> Token | None:
    """The subject of "accounted for N", "made up N", "numbered N", "stood at N", when the
    figure is the verb's object ("Women and girls accounted for nine" -> women)."""
    if verb.lemma_.lower() not in AMOUNTING or verb.pos_ not in ("VERB", "AUX"):
        return None
    if verb.lemma_.lower() == "make" and not any(c.lower_ == "up" for c in children(verb, "prt")):
        return None
    if figure.dep_ not in ("dobj", "attr", "pobj", "npadvmod", "oprd"):
        return None
    for c in children(verb, "nsubj", "nsubjpass"):
        if c.pos_ in ("NOUN", "PROPN") and c.i != figure.i:
            return counted_within(c)  # "estimates of the number of mines vary between 7 and 10 million"
    return None


def climb(noun: Token, max_climb: int) -> tuple[list[Token], Token | None]:
    """From the counted noun up to the verb that governs it."""
    path = [noun]
    tok = noun
    # coordinated and apposed figures share their first conjunct's governor, not its words
    while tok.dep_ in ("conj", "appos") and tok.head.i != tok.i:
        tok = tok.head
    steps = 0
    if tok.i != noun.i and tok.pos_ in ("VERB", "AUX"):
        # a noun the parse coordinated with a verb ("have been cleared ..., and 55,000 mines")
        path.append(tok)
        return path, tok
    # a verb in a noun's place is a mis-tagged noun ("1.5m landmines"): climb on
    if tok.pos_ in ("VERB", "AUX") and tok.i == noun.i and noun.dep_ not in ("nsubj", "nsubjpass", "dobj", "pobj", "attr"):
        return path, tok
    while tok.head.i != tok.i and steps < max_climb:
        tok = tok.head
        steps += 1
        path.append(tok)
        if tok.pos_ in ("VERB", "AUX") and tok.dep_ in ("aux", "auxpass") and tok.head.pos_ in ("VERB", "AUX"):
            continue  # "people remained internally displaced" parsed with "remained" as an auxiliary
        if tok.pos_ in ("VERB", "AUX") and tok.lemma_.lower() not in TRANSPARENT_VERBS and tok.dep_ != "amod":
            return path, tok
        while tok.dep_ == "conj" and tok.pos_ not in ("VERB", "AUX") and tok.head.i != tok.i:
            tok = tok.head
    return path, None


def sentence_words(sent: Span) -> frozenset[str]:
    """The words of a sentence, read once per sentence."""
    index = doc_index(sent.doc)
    return index.memo(("words", sent.start, sent.end), lambda: frozenset(w for t in sent for w in words(t)) | hidden_words(index.hidden_text(sent)))


def hidden_words(text: str) -> frozenset[str]:
    """The forms of the words of a sentence that was not parsed: its text's stems (no lemma)."""
    return frozenset(w for m in re.finditer(r"[A-Za-z][\w'-]*", text) for w in forms(m.group(0).lower()))


def sentence_verbs(sent: Span) -> list[Token]:
    """The verbs of a sentence (POS VERB), found once per sentence."""
    return doc_index(sent.doc).memo(("verbs", sent.start, sent.end), lambda: [t for t in sent if t.pos_ == "VERB"])


def context(span: Span, blocked: Container[int], max_climb: int = 8) -> Context:
    """Everything the metric step needs to know about one figure."""
    number, noun = counted_noun(span)
    sent = sent_of(span)
    own = {t.i for t in span}
    others = Others(blocked if isinstance(blocked, Figures) else Figures(blocked), own)
    path, verb = climb(noun, max_climb)
    head = set(words(noun))
    todo = [noun]
    while todo:  # "bombs, shells and mines": the whole chain of coordinated nouns
        for c in children(todo.pop(), "conj"):
            if c.pos_ in ("NOUN", "PROPN") and not _blocked_subtree(c, others):
                head |= words(c)
                todo.append(c)
    if noun.ent_type_ == "NORP" and noun.tag_ in ("NNPS", "NNS"):
        head.add("people")  # "half a million Colombians"
    # "550 de-miners": the tokenizer split the word; its parts after the hyphen count too
    j = noun.i
    doc = span.doc
    while j + 2 < len(doc) and not doc[j].whitespace_ and doc[j + 1].text == "-" and not doc[j + 1].whitespace_ and doc[j + 2].is_alpha:
        joined = doc[noun.i : j + 3].text.lower()
        head |= {joined, joined.replace("-", "")} | words(doc[j + 2])
        j += 2
    near = phrase(noun, others, depth=3) | head
    for t in span:
        near |= words(t)
    for t in {noun, number}:
        # "NZ$2.3 million for survey and clearance": what the figure is for; "BAM 1.9 million
        # in co-financing", "$2 million as a grant": what a sum is
        purposes = ("for", "in", "as") if span._.claim is not None and span._.claim.kind == "money" else ("for",)
        for c in children(t, "prep"):
            if c.lower_ in purposes and not _blocked_subtree(c, others):
                near |= words(c) | {w for p in children(c, "pobj") for w in phrase(p, others, depth=1)}
    if noun.pos_ == "NUM" or noun.i == number.i:
        for c in children(number, "prep"):
            if not _blocked_subtree(c, others):
                near |= phrase(c, others, depth=2)
    if noun.pos_ not in ("NOUN", "PROPN", "PRON", "NUM"):
        # a parse that went wrong ("1.5m landmines" read as a verb): the words written
        # right after the figure stand in for its noun
        doc = span.doc
        for t in doc[span.end : min(span.end + 2, sent.end)]:
            if t.is_alpha and t.i not in others:
                near |= words(t)
                head |= words(t)
    clause: set[str] = set()
    for t in path[1:]:
        clause |= words(t)
        if t.pos_ in ("NOUN", "PROPN"):
            clause |= phrase(t, others | {p.i for p in path}, depth=2)
        elif t.lemma_.lower() in TRANSPARENT_VERBS:
            # "the victims included 70 children", "The haul, collected by nine sappers,
            # included 960 shells": what the list is part of (phrase() leaves out the words of
            # another figure in it)
            for c in children(t, "nsubj", "nsubjpass"):
                clause |= phrase(c, others, depth=2)
    if verb is None:
        # a list item the parse left without a verb ("27,480 people, 11,902 of them
        # children, reached with risk education"): the verbs of its sentence
        for t in sentence_verbs(sent):
            if t.i not in others:
                clause |= words(t)
    if verb is not None:
        clause |= verb_args(verb, others | own | {noun.i}, depth=2, skip=path[-2] if len(path) > 1 else None)
        if verb.dep_ in ("acl", "relcl") and verb.head.pos_ in ("NOUN", "PROPN") and noun.dep_ not in ("nsubj", "nsubjpass"):
            # "hazardous areas covering 2,900 km²": what the participle describes, and its verb
            described = verb.head
            clause |= words(described) | {w for c in children(described, "amod", "compound") for w in words(c)}
            above = climb(described, max_climb)[1]
            if above is not None:
                clause |= words(above)
        elif verb.dep_ == "advcl" and verb.tag_ == "VBG":
            # "the hazardous areas numbered 128, covering 42.6 km2", "224 km of frontage
            # remain to be cleared, covering 19 km2": the participle tells of the subject of
            # the verb it hangs on, and of that verb
            clause |= verb_args(verb.head, others | own | {noun.i}, depth=1, skip=verb)
            for c in children(verb.head, "nsubj", "nsubjpass"):
                clause |= phrase(c, others, depth=2)
        if verb.lemma_ == "be" and noun.dep_ in ("nsubj", "nsubjpass"):
            # "1,300 victims were minors": the noun after the copula says what they are
            for c in children(verb, "attr", "acomp"):
                if not _blocked_subtree(c, others):
                    near |= phrase(c, others, depth=1)
        if verb.lemma_ == "be":
            # "Of the 1,284 items destroyed, 356 were cluster submunitions": the whole it is
            # a part of, with its action
            for c in children(verb, "prep"):
                if c.lower_ == "of" and c.i < number.i:
                    for pobj in children(c, "pobj"):
                        clause |= phrase(pobj, others, depth=2)
        if verb.lemma_ == "be" and number.dep_ in ("nsubj", "nsubjpass"):
            # "nine of the 11 victims were under 14": under the age of adulthood, children
            for c in children(verb, "prep"):
                if c.lower_ in ("under", "below"):
                    ages = [t for t in c.children if t.like_num and t.text.isdigit() and int(t.text) < 18]
                    if ages:
                        near |= {"child"}
        # a verb in a conjunct that shares its subject with the first ("were identified and defused")
        if verb.dep_ == "conj" and shares_arguments(verb, verb.head):
            clause |= words(verb.head)
    sentence = sentence_words(sent)
    governing = []
    if verb is not None:
        governing.append(frozenset(words(verb)))
        # a verb coordinated with it (any verb below a conjunct)
        for other in (children(verb) + [verb.head] if verb.dep_ == "conj" else children(verb, "conj")):
            if other.pos_ in ("VERB", "AUX") and (other.dep_ == "conj" or verb.dep_ == "conj") and other.i != verb.i and shares_arguments(other, verb):
                governing.append(frozenset(words(other)))
    described = {w for c in children(noun, "acl", "relcl") for w in words(c)}
    return Context(
        number=number,
        noun=noun,
        path=path,
        verb=verb,
        verbs=tuple(governing),
        described=frozenset(described),
        head=frozenset(head),
        near=frozenset(near),
        clause=frozenset(clause),
        sentence=frozenset(sentence),
        own_sentence=frozenset(sentence),
    )


def own_clause(tok: Token) -> bool:
    """A coordinated or adverbial clause with a subject of its own starts a new clause."""
    return tok.dep_ in ("conj", "advcl") and _has(tok, ("nsubj", "nsubjpass", "expl"))


def clause_ancestors(verb: Token) -> list[Token]:
    """The words above a verb, up to the edge of its own clause ("aims to be mine-free by
    2025, but 700 km² still need clearing": the aim is not over the second clause)."""
    out = []
    t = verb
    while t.head.i != t.i and not own_clause(t):
        t = t.head
        out.append(t)
    return out
