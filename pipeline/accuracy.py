"""The accuracy table: every gold set the project has, scored by the contract's rules.

`claims eval --suite` extracts and scores, in one run: the seed articles (`corpus/` against
`tests/regression/gold.csv`), the synthetic articles (`tests/regression/synthetic/`), the
case sentences (`tests/cases/*.yaml`, each case an article of its own, its `expect` list
the gold) and, when the folder is there, the development set (`../shared/devset`, written
and labeled by others). It prints claim, metric and figure F1, qualifier and period_start
accuracy per set and the per-metric table of the development set, and writes it all to
`outputs/accuracy.json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .corpus import Article
from .domain import load_domain
from .evaluate import Report, evaluate, read_gold
from .extract import build_nlp, extract_articles, extract_corpus

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "tests" / "cases"
DEFAULT_PUBLISHED = "2024-06-15"  # a case with no `published` is published on this day


@dataclass(frozen=True)
class Case:
    group: str  # the case file's stem
    index: int
    text: str
    published: str
    expect: tuple[dict, ...]
    xfail: str = ""
    # every figure the pipeline lists for the text with --all, as "VALUE UNIT" ("3000000
    # tonne"), when the case gives them (numbers no metric takes are checked this way)
    figures: tuple[str, ...] | None = None

    @property
    def article_id(self) -> str:
        return f"{self.group}-{self.index:03d}"

    def article(self) -> Article:
        return Article(self.article_id, self.text, {"published": self.published})

    def gold_rows(self) -> list[dict]:
        """The case's expectations as gold rows: omitted fields take the metric's unit,
        `exact`, the publication date and no period_start (tests/cases/README.md)."""
        domain = load_domain()
        rows = []
        for e in self.expect:
            spec = domain.metric(e["metric"])
            if spec is None:
                raise ValueError(f"{self.article_id}: unknown metric {e['metric']!r}")
            rows.append(
                {
                    "article_id": self.article_id,
                    "metric": e["metric"],
                    "value": float(e["value"]),
                    "unit": str(e.get("unit", spec.unit)),
                    "qualifier": str(e.get("qualifier", "exact")),
                    "date": str(e.get("date", self.published)),
                    "period_start": str(e.get("period_start", "")),
                    "surface": str(e.get("surface", "")),
                }
            )
        return rows


def load_cases(folder: Path = CASES_DIR) -> list[Case]:
    """Every case of every *.yaml file in the folder, in file and list order."""
    out = []
    for path in sorted(folder.glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            out.append(
                Case(
                    path.stem, i, case["text"], str(case.get("published", DEFAULT_PUBLISHED)), tuple(case.get("expect") or ()), str(case.get("xfail", "")),
                    tuple(str(f) for f in case["figures"] or ()) if "figures" in case else None,
                )
            )
    return out


def score_cases(cases: list[Case], nlp) -> Report:
    table = extract_articles([c.article() for c in cases], nlp)
    gold = pd.DataFrame([r for c in cases for r in c.gold_rows()])
    return evaluate(gold, table)


def suite(devset: Path | None = None, nlp=None) -> dict[str, Report]:
    """Each gold set's report, by name."""
    nlp = nlp or build_nlp()
    sets = {
        "seeds": (ROOT / "corpus", ROOT / "tests" / "regression" / "gold.csv"),
        "synthetic": (ROOT / "tests" / "regression" / "synthetic", ROOT / "tests" / "regression" / "synthetic" / "gold.csv"),
    }
    if devset is not None and (devset / "gold.csv").exists():
        sets["devset"] = (devset / "corpus", devset / "gold.csv")
    reports = {}
    for name, (corpus, gold) in sets.items():
        result = extract_corpus(corpus, nlp=nlp)
        reports[name] = evaluate(read_gold(gold), result.table)
    reports["cases"] = score_cases(load_cases(), nlp)
    return reports


def summary(reports: dict[str, Report]) -> dict:
    """The figures kept in outputs/accuracy.json."""
    out = {}
    for name, r in reports.items():
        out[name] = {
            "gold_claims": r.levels["claim"].tp + r.levels["claim"].fn,
            "claim_f1": round(r.levels["claim"].f1, 3),
            "metric_f1": round(r.levels["metric"].f1, 3),
            "figure_f1": round(r.levels["figure"].f1, 3),
            "qualifier_accuracy": None if r.qualifier_accuracy is None else round(r.qualifier_accuracy, 3),
            "period_start_accuracy": None if r.period_start_accuracy is None else round(r.period_start_accuracy, 3),
            "levels": {k: v.as_dict() for k, v in r.levels.items()},
        }
        if name == "devset":
            out[name]["per_metric"] = {k: v.as_dict() for k, v in r.per_metric.items()}
    return out


def format_suite(reports: dict[str, Report]) -> str:
    lines = [f"{'set':<10} {'gold':>5} {'claim F1':>9} {'metric F1':>10} {'figure F1':>10} {'qualifier':>10} {'period_start':>13}"]
    for name, r in reports.items():
        qa = "n/a" if r.qualifier_accuracy is None else f"{r.qualifier_accuracy:.3f}"
        pa = "n/a" if r.period_start_accuracy is None else f"{r.period_start_accuracy:.3f}"
        gold = r.levels["claim"].tp + r.levels["claim"].fn
        lines.append(f"{name:<10} {gold:>5} {r.levels['claim'].f1:>9.3f} {r.levels['metric'].f1:>10.3f} {r.levels['figure'].f1:>10.3f} {qa:>10} {pa:>13}")
    if "devset" in reports:
        lines += ["", "development set, per metric:", f"{'metric':<24} {'precision':>9} {'recall':>7} {'f1':>6} {'tp':>4} {'fp':>4} {'fn':>4}"]
        for metric, s in reports["devset"].per_metric.items():
            lines.append(f"{metric:<24} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.tp:>4} {s.fp:>4} {s.fn:>4}")
    return "\n".join(lines)
