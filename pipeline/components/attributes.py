"""The base model's attribute rules (part of speech, morphology, lemma exceptions), looked
up per token.

spaCy's ``attribute_ruler`` runs some 180 one- or two-token patterns through its Matcher,
which tries every pattern at every token: a tenth of the base model's time. The same rules
are kept here, indexed by the exact tag or lower-case form their first token asks for, so
each token is checked only against the rules that can match it. The rules come from the
model's own ``attribute_ruler`` (``build_nlp`` swaps it for this step when
models/pipeline.cfg sets ``fast_attributes``); they are applied in the ruler's order with
spaCy's own setter, so the result is the ruler's, token for token.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from spacy.attrs import DEP, IS_SPACE, LOWER, TAG
from spacy.language import Language
from spacy.tokens import Doc
from spacy.tokens._retokenize import set_token_attrs

FIELDS = {"TAG": 0, "LOWER": 1, "DEP": 2, "IS_SPACE": 3}
Test = Callable[[Any, Any], bool]


class AttributeRules:
    """The rules of a spaCy AttributeRuler, matched by lookup (see the module docstring)."""

    def __init__(self, ruler: Any):
        strings = ruler.vocab.strings
        self.strings = strings
        # per field (TAG, LOWER): the hash a first token has -> the rules that may start there
        self.by_field: tuple[dict[int, list[int]], dict[int, list[int]]] = ({}, {})
        self.anywhere: list[int] = []  # rules whose first token asks for no exact tag or form
        # (place in the ruler: later rules win, as in AttributeRuler.match; token tests left
        # once the index has found the rule; index; attrs; whether any test is left)
        self.rules: list[tuple[int, list[list[tuple[int, Test]]], int, Any, bool]] = []
        for order, entry in enumerate(ruler.patterns):
            for pattern in entry["patterns"]:
                specs = [[self._test(k, v) for k, v in tok.items()] for tok in pattern]
                keys = self._keys(pattern[0])
                if keys:  # the lookup by the first token's tag or form is that token's test on it
                    specs[0] = [(at, test) for at, test in specs[0] if at != keys[0][0]]
                rule = len(self.rules)
                self.rules.append((order, specs, ruler.indices[order], ruler.attrs[order], any(specs)))
                if not keys:
                    self.anywhere.append(rule)
                for field, value in keys:
                    self.by_field[field].setdefault(value, []).append(rule)

    def _keys(self, first: dict) -> list[tuple[int, int]]:
        """The (field, hash) pairs a token must have one of for a rule to match there: its
        lower-case form when it asks for one (the narrower), else its tag."""
        for field in ("LOWER", "TAG"):
            value = first.get(field)
            if isinstance(value, str):
                return [(FIELDS[field], self.strings.add(value))]
            if isinstance(value, dict) and set(value) == {"IN"}:
                return [(FIELDS[field], self.strings.add(v)) for v in value["IN"]]
        return []

    def _test(self, field: str, value: Any) -> tuple[int, Test]:
        if field not in FIELDS:
            raise ValueError(f"attribute rule on {field!r}: only {sorted(FIELDS)} are read by lookup")
        at = FIELDS[field]
        if field == "IS_SPACE":
            return at, lambda got, want=bool(value): bool(got) == want
        if isinstance(value, str):
            return at, lambda got, want=self.strings.add(value): got == want
        (op, arg), = value.items()
        if op == "IN":
            return at, lambda got, want=frozenset(self.strings.add(v) for v in arg): got in want
        if op == "NOT_IN":
            return at, lambda got, want=frozenset(self.strings.add(v) for v in arg): got not in want
        if op == "REGEX":
            pattern, seen = re.compile(arg), {}  # the answer per form, worked out once

            def search(got: int) -> bool:
                if got not in seen:
                    seen[got] = bool(pattern.search(self.strings[got]))
                return seen[got]

            return at, search
        raise ValueError(f"attribute rule operator {op!r} is not read by lookup")

    def __call__(self, doc: Doc) -> Doc:
        values = doc.to_array([TAG, LOWER, DEP, IS_SPACE]).tolist()
        n = len(values)
        found: list[tuple[int, int, int, int]] = []  # (rank, start, rule, target)
        by_tag, by_lower, anywhere, rules = self.by_field[0], self.by_field[1], self.anywhere, self.rules
        none: list[int] = []
        for i, row in enumerate(values):
            for group in (by_tag.get(row[0], none), by_lower.get(row[1], none), anywhere):
                for rule in group:
                    rank, specs, index, _attrs, check = rules[rule]
                    end = i + len(specs)
                    if end <= n and (not check or _matches(values, i, specs)):
                        target = i + index if index >= 0 else end + index
                        found.append((rank, i, rule, target))
        found.sort()
        seen = set()
        for rank, start, rule, target in found:
            if (rank, start, target) in seen:
                continue  # one match per rule and place, as the Matcher gives it
            seen.add((rank, start, target))
            set_token_attrs(doc[target], self.rules[rule][3])
        return doc


def _matches(values: list[list[int]], i: int, specs: list[list[tuple[int, Test]]]) -> bool:
    """Whether the tokens from i on pass every test of the rule's tokens."""
    for k, tok in enumerate(specs):
        row = values[i + k]
        for at, test in tok:
            if not test(row[at]):
                return False
    return True


@Language.factory("claim_attributes")
def make_attributes(nlp: Language, name: str):
    """Takes the rules of the model's own attribute_ruler, which build_nlp then removes."""
    return AttributeRules(nlp.get_pipe("attribute_ruler"))
