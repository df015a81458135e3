"""How well the pipeline reads the numbers of general news sentences (the data stays
outside the repository).

    python benchmarks/numbers.py --data DIR [--misses] [--json FILE]

DIR holds `sentences.tsv` (sentence_id<TAB>sentence) and `gold.csv` (sentence_id, value,
unit, surface: every quantity of each sentence). Each sentence becomes an article of its
own (published on a fixed day), the pipeline runs with keep_other=True (what `claims
extract --all` writes) and each figure it lists is one reading (a figure listed under two
metrics counts once). Scored per sentence, summed over the set:

- value: the sentence's values as a multiset, matched one to one within a relative
  tolerance of 1e-6 (1e-3 for a gold value that is not a whole number: "a third");
- value and unit: the same, the units equal too. The benchmark's unit names are mapped onto
  the pipeline's canonical units only where models/units.yaml defines the conversion
  (square kilometre -> hectare x 100, mile -> km x 1.609344, month -> year / 12 ...), and
  a currency onto its ISO code; any other unit name is compared as written.

The pipeline found on PYTHONPATH is scored (the repository itself when none is set), so
an older checkout can be measured with this same script.
"""

from __future__ import annotations

import sys

# run as a script, this folder comes first on the path, and this file would stand for the
# standard library's `numbers`
sys.path[:] = [p for p in sys.path if p not in ("", __file__.rsplit("/", 1)[0])]

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.append(str(Path(__file__).resolve().parent.parent))  # after PYTHONPATH: another checkout wins

from pipeline.corpus import Article  # noqa: E402
from pipeline.domain import load_domain  # noqa: E402
from pipeline.extract import build_nlp, extract_articles  # noqa: E402

PUBLISHED = "2024-06-15"

# the benchmark's unit names that the pipeline converts (value factor onto our unit)
CONVERTED = {
    "square kilometre": ("hectare", 100.0),
    "square kilometer": ("hectare", 100.0),
    "square metre": ("hectare", 0.0001),
    "square meter": ("hectare", 0.0001),
    "square mile": ("hectare", 258.999),
    "acre": ("hectare", 0.404686),
    "kilometre": ("km", 1.0),
    "kilometer": ("km", 1.0),
    "mile": ("km", 1.609344),
    "kilometre per hour": ("km_per_hour", 1.0),
    "kilometer per hour": ("km_per_hour", 1.0),
    "month": ("year", 1 / 12),
    "decade": ("year", 10.0),
    "percentage": ("percent", 1.0),
    "per cent": ("percent", 1.0),
    "dimensionless": ("count", 1.0),
    "none": ("count", 1.0),
    "": ("count", 1.0),
}


def our_unit(name: str, value: float, currencies: dict[str, str], units: dict[str, str]) -> tuple[str, float]:
    """The benchmark's (unit, value) in the pipeline's terms."""
    key = name.strip().lower()
    if key in CONVERTED:
        unit, factor = CONVERTED[key]
        return unit, value * factor
    if key in currencies:
        return currencies[key], value
    # the same unit spelled another way: "degree celsius" is degree_celsius, "meter" metre
    for spelled in (key.replace(" ", "_"), key.replace("meter", "metre").replace("liter", "litre").replace(" ", "_")):
        if spelled in units:
            return spelled, value
    return key, value


def currency_names(domain) -> dict[str, str]:
    """Currency names the benchmark may write ("dollar", "united states dollar", "euro")
    -> ISO code, from units.yaml."""
    out = {code: code for code, kind in domain.unit_kinds.items() if kind == "money"}
    for code, spec in domain.currencies.items():
        for name in spec["after"]:
            out[name.lower()] = code
            out[name.lower().rstrip("s")] = code
    for name, (unit, _factor) in domain.quantulum_units.items():
        if domain.unit_kinds.get(unit) == "money":
            out[name.lower()] = unit
    return out


def close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol * max(abs(a), abs(b), 1e-12)


def matched(got: list, want: list, key) -> int:
    """One-to-one matches of two lists of (value, unit) by `key(g, w)`."""
    free = list(got)
    n = 0
    for w in want:
        for i, g in enumerate(free):
            if key(g, w):
                del free[i]
                n += 1
                break
    return n


def prf(tp: int, n_got: int, n_want: int) -> dict[str, float]:
    p = tp / n_got if n_got else 0.0
    r = tp / n_want if n_want else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def load(data: Path) -> tuple[dict[str, str], dict[str, list[tuple[float, str, str]]]]:
    sentences = {}
    with open(data / "sentences.tsv", encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or "\t" not in line:
                continue
            sid, text = line.split("\t", 1)
            if sid == "sentence_id":
                continue
            sentences[sid] = text
    gold: dict[str, list[tuple[float, str, str]]] = defaultdict(list)
    with open(data / "gold.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if str(row.get("value", "")).strip() == "":
                continue
            gold[row["sentence_id"]].append((float(row["value"]), row.get("unit") or "", row.get("surface") or ""))
    return sentences, gold


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--misses", action="store_true", help="print each sentence whose readings differ from its gold")
    ap.add_argument("--json", type=Path, help="write the scores here")
    args = ap.parse_args(argv)

    sentences, gold = load(args.data)
    domain = load_domain()
    currencies = currency_names(domain)
    nlp = build_nlp()
    ids = sorted(sentences)
    articles = [Article(f"s{k:05d}", sentences[sid], {"published": PUBLISHED}) for k, sid in enumerate(ids)]
    table = extract_articles(articles, nlp, keep_other=True)
    got: dict[str, list[tuple[float, str, str]]] = defaultdict(list)
    seen = set()
    for row in table.itertuples(index=False):
        key = (row.article_id, row.start, row.end)
        if key in seen:
            continue  # one figure listed under two metrics is one reading
        seen.add(key)
        got[row.article_id].append((float(row.value), str(row.unit), str(row.surface)))

    def tol(w: tuple) -> float:
        return 1e-6 if float(w[0]).is_integer() else 1e-3

    totals = {"value": [0, 0, 0], "unit": [0, 0, 0]}
    for k, sid in enumerate(ids):
        g = got.get(f"s{k:05d}", [])
        want = [(v, u, s) for v, u, s in gold.get(sid, [])]
        want_ours = [(*our_unit(u, v, currencies, domain.unit_kinds)[::-1], s) for v, u, s in want]
        tv = matched(g, want_ours, lambda a, w: close(a[0], w[0], tol(w)))
        tu = matched(g, want_ours, lambda a, w: close(a[0], w[0], tol(w)) and a[1] == w[1])
        for name, tp in (("value", tv), ("unit", tu)):
            totals[name][0] += tp
            totals[name][1] += len(g)
            totals[name][2] += len(want)
        if args.misses and (tv < max(len(g), len(want)) or tu < len(want)):
            print(f"[{sid}] {sentences[sid]}")
            print("   gold: " + "; ".join(f"{v:g} {u} ({s})" for v, u, s in want_ours))
            print("   got:  " + "; ".join(f"{v:g} {u} ({s})" for v, u, s in g))
    scores = {name: prf(*t) for name, t in totals.items()}
    print(f"sentences {len(ids)}  gold quantities {totals['value'][2]}  read {totals['value'][1]}")
    for name, label in (("value", "value"), ("unit", "value and unit")):
        s = scores[name]
        print(f"{label:15s} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
