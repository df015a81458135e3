"""The contract's scoring (claims-contract.md, "Scoring"), read literally.

1. Predicted rows with metric ``other`` are dropped; predicted rows with equal
   (article_id, metric, value, unit, date) collapse into one (the first stays).
2. A predicted claim matches a gold claim when article_id, metric and unit are equal,
   value is within 0.5 % of the gold value, and date equals the gold date at the gold
   date's precision. Matching is one-to-one (a maximum matching).
3. Precision, recall and F1 at claim, metric (no date) and figure (article, unit,
   value) level; per metric; qualifier and period_start accuracy on matched claims.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from .corpus import is_real_date
from .storage import read_bytes
from .table import format_value, is_parquet, read_claims

GOLD_COLUMNS = ["article_id", "metric", "value", "unit", "qualifier", "date", "period_start", "surface"]
CLAIM_COLUMNS = ["article_id", "metric", "value", "unit", "qualifier", "date", "period_start", "surface"]
TOLERANCE = 0.005
LEVELS = ("claim", "metric", "figure")


# a sentence may be a whole pasted table: the csv module's 128 KB field limit is no limit here
csv.field_size_limit(2**31 - 1)


class EvalError(ValueError):
    """An input file that cannot be scored; the message names file, row and column."""


# -- reading ------------------------------------------------------------------------------------
def read_table(path: str | Path, required: list[str], kind: str) -> pd.DataFrame:
    """Read a gold or claims CSV, validating what scoring needs; one clear error otherwise."""
    try:
        if is_parquet(path):
            df = read_claims(path).astype(str)
        else:
            # utf-8-sig: a byte-order mark (spreadsheets write one) is not part of the header
            text = read_bytes(path).decode("utf-8-sig")
            reader = csv.DictReader(io.StringIO(text, newline=""))
            df = pd.DataFrame(list(reader), columns=reader.fieldnames or [], dtype=str).fillna("")
    except FileNotFoundError:
        raise EvalError(f"{path}: {kind} file not found") from None
    except IsADirectoryError:
        raise EvalError(f"{path}: {kind} file is a directory") from None
    except UnicodeDecodeError as exc:
        raise EvalError(f"{path}: {kind} file is not UTF-8 (byte {exc.start})") from None
    except (OSError, ValueError, csv.Error, ArithmeticError) as exc:
        raise EvalError(f"{path}: {kind} file cannot be read ({exc})") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise EvalError(f"{path}: {kind} file has no column {missing[0]!r} (row 1, the header)")
    validate(df, path, kind)
    df["value"] = df["value"].astype(float)
    return df


def validate(df: pd.DataFrame, path: str | Path, kind: str) -> None:
    for i, row in enumerate(df.itertuples(index=False), start=2):
        r = row._asdict()
        try:
            v = float(r["value"])
            if not math.isfinite(v):
                raise ValueError
        except (TypeError, ValueError):
            raise EvalError(f"{path}: row {i}, column 'value': {r['value']!r} is not a number") from None
        if not is_real_date(r["date"]):
            raise EvalError(f"{path}: row {i}, column 'date': {r['date']!r} is not an ISO 8601 date on the calendar")
        ps = str(r.get("period_start", "")).strip()
        if ps and not is_real_date(ps):
            raise EvalError(f"{path}: row {i}, column 'period_start': {ps!r} is not an ISO 8601 date on the calendar")
        for col in ("start", "end") if kind == "claims" else ():
            if col in r and not (str(r[col]).strip().isascii() and str(r[col]).strip().isdigit()):
                raise EvalError(f"{path}: row {i}, column {col!r}: {r[col]!r} is not a character offset (a whole number from 0)")
        for col in ("article_id", "metric", "unit"):
            if not str(r[col]).strip():
                raise EvalError(f"{path}: row {i}, column {col!r}: empty")


def read_gold(path: str | Path) -> pd.DataFrame:
    return read_table(path, GOLD_COLUMNS, "gold")


def read_predicted(path: str | Path) -> pd.DataFrame:
    return read_table(path, CLAIM_COLUMNS, "claims")


# -- matching -----------------------------------------------------------------------------------
def value_matches(pred: float, gold: float) -> bool:
    if gold == 0:
        return pred == 0
    return abs(pred - gold) <= TOLERANCE * abs(gold)


def date_matches(pred: str, gold: str) -> bool:
    """'2024-11-30' matches gold '2024-11' and '2024'; '2024' does not match '2024-11-30'."""
    pred, gold = str(pred).strip(), str(gold).strip()
    return len(pred) >= len(gold) and pred[: len(gold)] == gold


def same_claim(p: dict, g: dict) -> bool:
    return same_metric(p, g) and date_matches(p["date"], g["date"])


def same_metric(p: dict, g: dict) -> bool:
    return p["metric"] == g["metric"] and same_figure(p, g)


def same_figure(p: dict, g: dict) -> bool:
    return p["article_id"] == g["article_id"] and p["unit"] == g["unit"] and value_matches(p["value"], g["value"])


RULES: dict[str, Callable[[dict, dict], bool]] = {"claim": same_claim, "metric": same_metric, "figure": same_figure}


def max_matching(pred: list[dict], gold: list[dict], rule: Callable[[dict, dict], bool]) -> dict[int, int]:
    """A maximum one-to-one matching {gold index: pred index} (augmenting paths, each
    search on an explicit stack: a thousand alike rows make no deep recursion)."""
    by_figure: dict[tuple, list[int]] = {}  # every rule needs the same article and unit
    for pi, p in enumerate(pred):
        by_figure.setdefault((p["article_id"], p["unit"]), []).append(pi)
    edges: dict[int, list[int]] = {}
    for gi, g in enumerate(gold):
        cands = [pi for pi in by_figure.get((g["article_id"], g["unit"]), []) if rule(pred[pi], g)]
        # nearest value first, so ties resolve to the closest figure
        cands.sort(key=lambda pi: (abs(pred[pi]["value"] - g["value"]), pi))
        edges[gi] = cands
    owner: dict[int, int] = {}  # pred index -> gold index

    def augment(root: int) -> bool:
        """Depth-first search for a free prediction from gold `root`; on success every gold
        on the path takes the prediction it reached."""
        seen: set[int] = set()
        stack = [[root, 0]]  # [gold index, next candidate to try]
        path: list[int] = []  # the prediction each stack level went through
        while stack:
            frame = stack[-1]
            gi, cands = frame[0], edges[frame[0]]
            # look ahead: the nearest free prediction ends the path at once (without it, many
            # alike rows make every search walk the whole matching)
            free = next((pi for pi in cands if pi not in owner), None)
            if free is not None:
                owner[free] = gi
                for (g, _), p in zip(stack, path):
                    owner[p] = g
                return True
            while frame[1] < len(cands) and cands[frame[1]] in seen:
                frame[1] += 1
            if frame[1] == len(cands):
                stack.pop()
                if path:
                    path.pop()
                continue
            pi = cands[frame[1]]  # owned: try to move its owner on
            frame[1] += 1
            seen.add(pi)
            path.append(pi)
            stack.append([owner[pi], 0])
        return False

    for gi in range(len(gold)):
        augment(gi)
    return {gi: pi for pi, gi in owner.items()}


# -- the report ---------------------------------------------------------------------------------
@dataclass
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class Report:
    levels: dict[str, Score]
    per_metric: dict[str, Score]
    qualifier_accuracy: float | None
    period_start_accuracy: float | None
    matched: int
    missed: list[dict] = field(default_factory=list)
    spurious: list[dict] = field(default_factory=list)
    wrong_qualifier: list[dict] = field(default_factory=list)
    wrong_period_start: list[dict] = field(default_factory=list)

    @property
    def claim_f1(self) -> float:
        return self.levels["claim"].f1

    def to_dict(self) -> dict:
        return {
            "levels": {k: v.as_dict() for k, v in self.levels.items()},
            "per_metric": {k: v.as_dict() for k, v in self.per_metric.items()},
            "qualifier_accuracy": self.qualifier_accuracy,
            "period_start_accuracy": self.period_start_accuracy,
            "matched": self.matched,
            "missed": self.missed,
            "spurious": self.spurious,
            "wrong_qualifier": self.wrong_qualifier,
            "wrong_period_start": self.wrong_period_start,
        }


def collapse(pred: pd.DataFrame) -> pd.DataFrame:
    """Contract step 1: drop `other`, one row per (article, metric, value, unit, date)."""
    if pred.empty:
        return pred
    pred = pred[pred["metric"] != "other"].copy()
    pred["_key"] = pred["value"].map(lambda v: repr(float(v)))
    pred = pred.drop_duplicates(subset=["article_id", "metric", "_key", "unit", "date"], keep="first")
    return pred.drop(columns="_key").reset_index(drop=True)


def _records(df: pd.DataFrame) -> list[dict]:
    recs = df.to_dict("records") if not df.empty else []
    for r in recs:
        r["value"] = float(r["value"])
        for c in ("date", "period_start", "qualifier", "surface", "sentence"):
            r[c] = "" if r.get(c) is None else str(r.get(c, ""))
    return recs


def evaluate(gold: pd.DataFrame, claims: pd.DataFrame) -> "Report":
    """Score a claims table against gold by the contract's rules."""
    g = _records(gold)
    p = _records(collapse(claims))
    matchings = {level: max_matching(p, g, RULES[level]) for level in LEVELS}
    levels = {}
    for level, m in matchings.items():
        levels[level] = Score(tp=len(m), fp=len(p) - len(m), fn=len(g) - len(m))
    claim_m = matchings["claim"]
    per_metric: dict[str, Score] = {}
    for metric in sorted({r["metric"] for r in g} | {r["metric"] for r in p}):
        tp = sum(1 for gi in claim_m if g[gi]["metric"] == metric)
        n_g = sum(1 for r in g if r["metric"] == metric)
        n_p = sum(1 for r in p if r["metric"] == metric)
        per_metric[metric] = Score(tp=tp, fp=n_p - tp, fn=n_g - tp)
    pairs = [(g[gi], p[pi]) for gi, pi in sorted(claim_m.items())]
    qual_ok = [gr["qualifier"] == pr["qualifier"] for gr, pr in pairs]
    ps_ok = [gr["period_start"].strip() == pr["period_start"].strip() for gr, pr in pairs]
    matched_p = set(claim_m.values())
    metric_m, figure_m = matchings["metric"], matchings["figure"]

    def why(gi: int) -> str:
        if gi in metric_m:
            return f"found with date {p[metric_m[gi]]['date']}"
        if gi in figure_m:
            other = p[figure_m[gi]]
            return f"found as {other['metric']} dated {other['date']}"
        return "figure not found"

    missed = [
        {
            "article_id": g[gi]["article_id"],
            "metric": g[gi]["metric"],
            "value": g[gi]["value"],
            "unit": g[gi]["unit"],
            "date": g[gi]["date"],
            "surface": g[gi]["surface"],
            "sentence": (p[figure_m[gi]].get("sentence", "") if gi in figure_m else g[gi].get("sentence", "")),
            "why": why(gi),
        }
        for gi in range(len(g))
        if gi not in claim_m
    ]
    spurious = [
        {k: p[pi].get(k, "") for k in ("article_id", "metric", "value", "unit", "date", "surface", "sentence")}
        for pi in range(len(p))
        if pi not in matched_p
    ]

    def wrong(field_: str) -> list[dict]:
        return [
            {"article_id": gr["article_id"], "metric": gr["metric"], "value": gr["value"], "surface": pr["surface"], "gold": gr[field_], "predicted": pr[field_]}
            for gr, pr in pairs
            if gr[field_].strip() != pr[field_].strip()
        ]

    return Report(
        levels=levels,
        per_metric=per_metric,
        qualifier_accuracy=(sum(qual_ok) / len(qual_ok)) if pairs else None,
        period_start_accuracy=(sum(ps_ok) / len(ps_ok)) if pairs else None,
        matched=len(pairs),
        missed=missed,
        spurious=spurious,
        wrong_qualifier=wrong("qualifier"),
        wrong_period_start=wrong("period_start"),
    )


def evaluate_files(gold_path: str | Path, claims_path: str | Path) -> Report:
    return evaluate(read_gold(gold_path), read_predicted(claims_path))


# -- printing -----------------------------------------------------------------------------------
def format_report(report: Report) -> str:
    """A readable table for the terminal."""
    out = []
    out.append(f"{'level':<8} {'precision':>9} {'recall':>7} {'f1':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
    for level, s in report.levels.items():
        out.append(f"{level:<8} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.tp:>5} {s.fp:>5} {s.fn:>5}")
    out.append("")
    qa = "n/a" if report.qualifier_accuracy is None else f"{report.qualifier_accuracy:.3f}"
    pa = "n/a" if report.period_start_accuracy is None else f"{report.period_start_accuracy:.3f}"
    out.append(f"on {report.matched} matched claims: qualifier right {qa}, period_start right {pa}")
    out.append("")
    out.append(f"{'metric':<24} {'precision':>9} {'recall':>7} {'f1':>6} {'tp':>4} {'fp':>4} {'fn':>4}")
    for metric, s in report.per_metric.items():
        out.append(f"{metric:<24} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.tp:>4} {s.fp:>4} {s.fn:>4}")
    sections = [
        ("missed (in gold, not matched)", report.missed, lambda r: f"[{r['why']}]"),
        ("spurious (predicted, not in gold)", report.spurious, lambda r: ""),
    ]
    for title, rows, extra in sections:
        out.append("")
        out.append(f"{title}: {len(rows)}")
        for r in rows:
            out.append(f"  {r['article_id']}  {r['metric']} {format_value(r['value'])} {r['unit']} @{r['date']}  {r['surface']!r} {extra(r)}".rstrip())
            if r.get("sentence"):
                sent = " ".join(str(r["sentence"]).split())
                out.append(f"      {sent[:220]}{'...' if len(sent) > 220 else ''}")
    for title, rows in (("wrong qualifier", report.wrong_qualifier), ("wrong period_start", report.wrong_period_start)):
        if rows:
            out.append("")
            out.append(f"{title}: {len(rows)}")
            for r in rows:
                out.append(f"  {r['article_id']}  {r['metric']} {format_value(r['value'])}  {r['surface']!r}: gold {r['gold']!r}, predicted {r['predicted']!r}")
    return "\n".join(out)


__all__ = ["evaluate", "evaluate_files", "Report", "Score", "EvalError", "format_report", "read_gold", "read_predicted"]
