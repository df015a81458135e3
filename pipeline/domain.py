"""The domain model in `models/`, loaded into typed objects.

Everything an analyst may want to change (metrics, trigger words, units, cues, known
events, the spaCy model name) lives in those files; this module is the only code that
reads them, so the rest of the pipeline sees plain Python objects.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry
import yaml
from thinc.api import Config

from .places import load_gazetteer

DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


class DomainError(ValueError):
    """A file in models/ is missing or malformed."""


Term = frozenset  # the words of a term; a bag matches when it holds all of them


def make_term(text: str) -> Term:
    """Split a term into the words a lemma bag must hold ("anti-personnel" -> anti, personnel)."""
    words = [w for w in re.split(r"[\s\-]+", str(text).lower()) if w]
    return frozenset(words)


def bag_matches(bag: frozenset[str] | set[str], terms: tuple[Term, ...]) -> bool:
    """True when one of the terms has all its words in the bag."""
    return any(term and term <= bag for term in terms)


@dataclass(frozen=True)
class MetricSpec:
    id: str
    unit: str
    kind: str
    head: tuple[Term, ...] = ()
    near: tuple[Term, ...] = ()
    action: tuple[Term, ...] = ()
    sentence: tuple[Term, ...] = ()
    context: tuple[Term, ...] = ()
    context_all: tuple[Term, ...] = ()
    article: tuple[Term, ...] = ()
    not_near: tuple[Term, ...] = ()
    not_action: tuple[Term, ...] = ()
    not_verb: tuple[Term, ...] = ()
    not_own_sentence: tuple[Term, ...] = ()
    not_described: tuple[Term, ...] = ()
    future_ok: bool = False
    cumulative: bool = True
    not_past: bool = False  # not when the figure's verb is in the past ("took 31 months")
    also: tuple[tuple[str, tuple[Term, ...]], ...] = ()  # (metric, terms): the figure is that metric too
    also_verb: tuple[tuple[str, tuple[Term, ...]], ...] = ()  # (metric, verbs): so is the object of these verbs
    family: str = ""  # metrics of one family break each other down ("of these, ...")
    part_of: tuple[str, ...] = ()  # totals this metric is a part of (children among casualties)
    not_part: tuple[Term, ...] = ()  # a part of a figure of this metric naming these is not one ("among them 145 deminers")


@dataclass(frozen=True)
class SharedCurrency:
    """A symbol or name several currencies share ("Rs."): the article's country decides."""

    before: tuple[str, ...]
    after: tuple[str, ...]
    by_place: tuple[tuple[str, str], ...]
    default: str


@dataclass(frozen=True)
class AgeWords:
    """How an age is written (cues.yaml `ages`): never a claim, listed as `other` with --all."""

    after: tuple[str, ...]  # "a 34-year-old", "34 years of age"
    before: tuple[str, ...]  # "aged 9 and 12"
    people: frozenset[str]  # "Ahmed, 34, lost a leg": a number alone after one of these
    oldest: int


@dataclass(frozen=True)
class Event:
    name: str
    end: str
    phrases: tuple[str, ...]
    places: tuple[str, ...]
    year: int | None


@dataclass(frozen=True, eq=False)
class Domain:
    """The whole domain model: one object, built once per process per models/ folder."""

    path: Path
    digest: str
    metrics: tuple[MetricSpec, ...]
    unit_kinds: dict[str, str]
    quantulum_units: dict[str, tuple[str, float]]
    teach_units: tuple[dict[str, Any], ...]
    currencies: dict[str, dict[str, tuple[str, ...]]]
    iso_codes: tuple[str, ...]  # ISO 4217 codes read as currencies when written in capitals
    shared_currencies: tuple[SharedCurrency, ...]
    scales: dict[str, float]
    qualifiers: dict[str, tuple[str, ...]]
    qualifiers_after: dict[str, tuple[str, ...]]
    vague: tuple[str, ...]
    not_single: dict[str, frozenset[str]]
    date_cues: dict[str, tuple[str, ...]]
    year_parts: dict[str, tuple[int, int]]
    not_claims: dict[str, tuple[Term, ...]]
    label_words: frozenset[str]
    generic_events: tuple[str, ...]
    events: tuple[Event, ...]
    places: Any  # the gazetteer (pipeline.places.Gazetteer), with models/places.yaml's additions
    not_about: dict[str, tuple[str, ...]]  # roles in which a named place is not what a figure is about
    layout: dict[str, tuple[str, ...]]
    selection: dict[str, tuple[str, ...]]  # what makes a sentence worth parsing (pipeline.selection)
    parts: dict[str, Any]
    number_words: dict[str, dict[str, float]]
    thousands_dot_units: tuple[str, ...]
    decimal_dot_units: tuple[str, ...]
    glued_units: tuple[str, ...]
    more_words: dict[str, tuple[str, ...]]  # "5 more years", "another 8 to 10 years"
    measures_not_counted: frozenset[str]
    # how units are written after a number: (surface, canonical unit, factor, any case)
    written_units: tuple[tuple[str, str, float, bool], ...]
    glued_symbols: tuple[tuple[str, str, float], ...]  # units that count only glued to the number ("51C")
    written_before: tuple[tuple[str, str], ...]  # (word, unit): units written before the number ("magnitude 6.4")
    between_number_and_unit: tuple[str, ...]  # "14 more days"
    street_words: frozenset[str]  # "10 Downing Street": a number in an address
    not_units: frozenset[str]  # words quantulum3 takes for units that are plain words
    one_not_figure: dict[str, tuple[str, ...]]  # words around "one" that make it no figure ("no one")
    ages: AgeWords
    config: Config = field(compare=False)

    def metric(self, metric_id: str) -> MetricSpec | None:
        return next((m for m in self.metrics if m.id == metric_id), None)


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        # libyaml's loader when PyYAML has it: the same data, read some ten times faster
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError:
        raise DomainError(f"{path}: missing") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise DomainError(f"{path}:{where} not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise DomainError(f"{path}: expected a mapping at the top level")
    return data


def setting_number(path: Path, where: dict, key: str, default: float, label: str = "", whole: bool = False) -> float:
    """A non-negative number setting of a models/ file; anything else is one clear error."""
    value = where.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or value == float("inf") or (whole and value != int(value)):
        kind = "a whole number from 0" if whole else "a non-negative number"
        raise DomainError(f"{path}: {label or key} must be {kind}, not {value!r}")
    return int(value) if whole else float(value)


def setting_mapping(path: Path, where: dict, key: str) -> dict:
    """A mapping setting of a models/ file (empty when absent); anything else is one clear error."""
    value = where.get(key) or {}
    if not isinstance(value, dict):
        raise DomainError(f"{path}: {key} must be a mapping of names to text, not {value!r}")
    return value


def _terms(values: Any, groups: dict[str, list[str]], where: str) -> tuple[Term, ...]:
    out: list[Term] = []
    for v in values or []:
        v = str(v)
        if v.startswith("@"):
            if v[1:] not in groups:
                raise DomainError(f"{where}: unknown group {v}")
            out.extend(make_term(x) for x in groups[v[1:]])
        else:
            out.append(make_term(v))
    return tuple(t for t in out if t)


def models_digest(path: Path) -> str:
    """Hash of every file in models/, so caches can tell when the domain changed."""
    h = hashlib.sha256()
    for name in sorted(p.name for p in path.iterdir() if p.is_file()):
        h.update(name.encode())
        h.update((path / name).read_bytes())
    return h.hexdigest()[:16]


def load_domain(path: str | Path | None = None) -> Domain:
    """Load models/ (or another folder of the same shape). Cached per process by the
    files' content, so an edit to models/ is always seen."""
    root = Path(path).resolve() if path else DEFAULT_MODELS_DIR
    if not root.is_dir():
        raise DomainError(f"{root}: models folder not found")
    return _load_domain(str(root), models_digest(root))


@lru_cache(maxsize=8)
def _load_domain(path: str, digest: str) -> Domain:
    root = Path(path)
    tax = read_yaml(root / "taxonomy.yaml")
    units = read_yaml(root / "units.yaml")
    cues = read_yaml(root / "cues.yaml")
    events = read_yaml(root / "events.yaml")
    places_path = root / "places.yaml"
    places_data = read_yaml(places_path) if places_path.exists() else {}
    try:
        places = load_gazetteer(places_data)
    except ValueError as exc:
        raise DomainError(f"{places_path}: {exc}") from None
    cfg_path = root / "pipeline.cfg"
    try:
        config = Config().from_disk(cfg_path)
    except FileNotFoundError:
        raise DomainError(f"{cfg_path}: missing") from None
    except Exception as exc:  # thinc raises several kinds for a broken config
        raise DomainError(f"{cfg_path}: not a valid spaCy config ({exc})") from None

    unit_kinds = {str(k): str(v) for k, v in (units.get("canonical") or {}).items()}
    # every ISO 4217 currency is a unit of kind money (pycountry's list, offline)
    not_currency = {str(c) for c in units.get("iso_codes_not_currency") or ()}
    all_codes = {c.alpha_3 for c in pycountry.currencies} | {str(c) for c in units.get("historic_codes") or ()}
    iso_codes = tuple(sorted(all_codes - not_currency))
    for code in sorted(all_codes):
        unit_kinds.setdefault(code.lower(), "money")
    groups = {str(k): [str(x) for x in v] for k, v in (tax.get("groups") or {}).items()}
    metrics = []
    seen = set()
    for i, m in enumerate(tax.get("metrics") or []):
        where = f"{root / 'taxonomy.yaml'}: metric #{i + 1}"
        if not isinstance(m, dict) or "id" not in m or "unit" not in m:
            raise DomainError(f"{where}: needs an id and a unit")
        mid, unit = str(m["id"]), str(m["unit"])
        if mid in seen and unit != next(x.unit for x in metrics if x.id == mid):
            raise DomainError(f"{where}: metric {mid} repeated with another unit")
        if unit not in unit_kinds:
            raise DomainError(f"{where} ({mid}): unit {unit!r} is not in units.yaml canonical")
        seen.add(mid)
        metrics.append(
            MetricSpec(
                id=mid,
                unit=unit,
                kind=unit_kinds[unit],
                head=_terms(m.get("head"), groups, where),
                near=_terms(m.get("near"), groups, where),
                action=_terms(m.get("action"), groups, where),
                sentence=_terms(m.get("sentence"), groups, where),
                context=_terms(m.get("context"), groups, where),
                context_all=_terms(m.get("context_all"), groups, where),
                article=_terms(m.get("article"), groups, where),
                not_near=_terms(m.get("not_near"), groups, where),
                not_action=_terms(m.get("not_action"), groups, where),
                not_verb=_terms(m.get("not_verb"), groups, where),
                not_own_sentence=_terms(m.get("not_own_sentence"), groups, where),
                not_described=_terms(m.get("not_described"), groups, where),
                future_ok=bool(m.get("future_ok", False)),
                cumulative=bool(m.get("cumulative", True)),
                not_past=bool(m.get("not_past", False)),
                also=tuple((str(k), _terms(v, groups, where)) for k, v in (m.get("also") or {}).items()),
                also_verb=tuple((str(k), _terms(v, groups, where)) for k, v in (m.get("also_verb") or {}).items()),
                family=str(m.get("family", "")),
                part_of=tuple(str(x) for x in m.get("part_of") or ()),
                not_part=_terms(m.get("not_part"), groups, where),
            )
        )

    qmap = {}
    for name, spec in (units.get("quantulum") or {}).items():
        canonical, factor = spec
        if canonical not in unit_kinds:
            raise DomainError(f"{root / 'units.yaml'}: quantulum unit {name!r} maps to unknown {canonical!r}")
        qmap[str(name)] = (str(canonical), float(factor))
    currencies = {
        str(code): {side: tuple(str(x) for x in (spec or {}).get(side, [])) for side in ("before", "after")}
        for code, spec in (units.get("currencies") or {}).items()
    }
    shared = []
    for spec in units.get("shared_currencies") or ():
        shared.append(
            SharedCurrency(
                before=tuple(str(x) for x in spec.get("before") or ()),
                after=tuple(str(x) for x in spec.get("after") or ()),
                by_place=tuple((str(k), str(v)) for k, v in (spec.get("by_place") or {}).items()),
                default=str(spec.get("default", "")),
            )
        )
    for code in list(currencies) + [c for sc in shared for c in [sc.default, *dict(sc.by_place).values()]]:
        if unit_kinds.get(code) != "money":
            raise DomainError(f"{root / 'units.yaml'}: currency {code!r} is not an ISO 4217 code")

    def tuples(d: dict[str, Any] | None) -> dict[str, tuple[str, ...]]:
        return {str(k): tuple(str(x) for x in (v or [])) for k, v in (d or {}).items()}

    numbers = units.get("numbers") or {}
    not_claims_raw = cues.get("not_claims") or {}
    not_claims = {k: tuple(make_term(x) for x in v) for k, v in not_claims_raw.items() if k != "label_words"}
    evs = []
    for e in events.get("events") or []:
        evs.append(
            Event(
                name=str(e["name"]),
                end=str(e["end"]),
                phrases=tuple(str(p).lower() for p in e.get("phrases", [])),
                places=tuple(str(p).lower() for p in e.get("places", [])),
                year=int(e["year"]) if e.get("year") else None,
            )
        )
    written, glued_symbols = [], []
    for i, spec in enumerate(units.get("written") or ()):
        unit = str((spec or {}).get("unit", ""))
        if unit not in unit_kinds:
            raise DomainError(f"{root / 'units.yaml'}: written #{i + 1} names unknown unit {unit!r}")
        factor = setting_number(root / "units.yaml", spec, "factor", 1.0, f"written #{i + 1} factor")
        written += [(str(w), unit, factor, True) for w in spec.get("words") or ()]
        written += [(str(w), unit, factor, False) for w in spec.get("symbols") or ()]
        glued_symbols += [(str(w), unit, factor) for w in spec.get("glued") or ()]
    ages_raw = setting_mapping(root / "cues.yaml", cues, "ages")
    ages = AgeWords(
        after=tuple(str(x).lower() for x in ages_raw.get("after") or ()),
        before=tuple(str(x).lower() for x in ages_raw.get("before") or ()),
        people=frozenset(w for t in _terms(ages_raw.get("people"), groups, f"{root / 'cues.yaml'}: ages people") if len(t) == 1 for w in t),
        oldest=setting_number(root / "cues.yaml", ages_raw, "oldest", 120, "ages oldest", whole=True),
    )
    written_before = []
    for spec in units.get("written_before") or ():
        if str(spec.get("unit")) not in unit_kinds:
            raise DomainError(f"{root / 'units.yaml'}: written_before names unknown unit {spec.get('unit')!r}")
        written_before += [(str(w).lower(), str(spec["unit"])) for w in spec.get("words") or ()]
    return Domain(
        path=root,
        digest=digest,
        metrics=tuple(metrics),
        unit_kinds=unit_kinds,
        quantulum_units=qmap,
        teach_units=tuple(units.get("teach") or ()),
        currencies=currencies,
        iso_codes=iso_codes,
        shared_currencies=tuple(shared),
        scales={str(k).lower(): float(v) for k, v in (units.get("scales") or {}).items()},
        qualifiers=tuples(cues.get("qualifiers")),
        qualifiers_after=tuples(cues.get("qualifiers_after")),
        vague=tuple(str(x).lower() for x in cues.get("vague") or ()),
        not_single={str(k): frozenset(str(x).lower() for x in v or ()) for k, v in (cues.get("not_single") or {}).items()},
        date_cues=tuples(cues.get("dates")),
        year_parts={str(k).lower(): (int(v[0]), int(v[1])) for k, v in (cues.get("year_parts") or {}).items()},
        not_claims=not_claims,
        label_words=frozenset(str(x).lower() for x in not_claims_raw.get("label_words") or ()),
        generic_events=tuple(str(x).lower() for x in events.get("generic") or ()),
        events=tuple(evs),
        places=places,
        not_about={str(k): tuple(str(x).lower() for x in v or ()) for k, v in (places_data.get("not_about") or {}).items()},
        layout=tuples(cues.get("layout")),
        selection=tuples(cues.get("selection")),
        parts={
            "within_sentence": tuple(str(x) for x in (cues.get("parts") or {}).get("within_sentence") or ()),
            "restated": tuple(str(x) for x in (cues.get("parts") or {}).get("restated") or ()),
            "compared": tuple(str(x) for x in (cues.get("parts") or {}).get("compared") or ()),
            "states": {str(k): tuple(str(x).lower() for x in v or ()) for k, v in ((cues.get("parts") or {}).get("states") or {}).items()},
        },
        number_words={k: {str(w).lower(): float(v) for w, v in (numbers.get(k) or {}).items()} for k in ("units", "tens", "scales", "fractions")},
        thousands_dot_units=tuple(str(x) for x in numbers.get("thousands_dot_after") or ()),
        decimal_dot_units=tuple(str(x) for x in numbers.get("decimal_dot_after") or ()),
        glued_units=tuple(str(x) for x in numbers.get("glued") or ()),
        more_words=tuples(numbers.get("more")),
        measures_not_counted=frozenset(str(x) for x in units.get("measures_not_counted") or ()),
        written_units=tuple(written),
        glued_symbols=tuple(glued_symbols),
        written_before=tuple(written_before),
        between_number_and_unit=tuple(str(x).lower() for x in units.get("between_number_and_unit") or ()),
        street_words=frozenset(str(x).lower() for x in units.get("street_words") or ()),
        not_units=frozenset(str(x).lower() for x in units.get("not_units") or ()),
        one_not_figure=tuples(units.get("one_not_figure")),
        ages=ages,
        config=config,
    )
