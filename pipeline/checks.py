"""Consistency checks over a claims table: where sources disagree.

Claims are compared only within one scope: the same country, region, metric and unit,
and the same kind of figure (``scope_of``): a count since a stated start, a count within
a year or a month, a count on one day, or a level as of a date (the metrics that are
levels are the taxonomy's ``cumulative: false`` ones). Within one article, the largest
claim of a scope and date is the article's figure and the smaller ones are its parts
(breakdowns by kind, place, group): parts are never compared with other articles.

Four rules, with their thresholds in ``models/checks.yaml``:

- conflict: two articles give the same scope and date value ranges that contradict
  (exactly 250 vs over 300, or two exact values more than 1 % apart);
- inconsistent: one article's parts of a scope and date add up to more than its total;
- regression: a count since a stated start falls from one article to a later one;
- outlier: a value more than 10x away from the median of its scope.

Each finding names two claims, how far apart they are (`gap`) and how many articles
side with each (`sources_a`, `sources_b`); findings are sorted by how much an analyst
should care: the gap times the sources involved. ``check_claims(df)`` works on any table
with the contract's columns; ``claims check`` is a thin layer over it.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterator, Mapping

import pandas as pd

from .storage import write_atomic
from .domain import DEFAULT_MODELS_DIR, DomainError, load_domain, read_yaml, setting_number
from .evaluate import read_predicted
from .table import complete, format_value

CLAIM_FIELDS = ["claim_id", "article_id", "value", "qualifier", "date", "period_start", "surface", "sentence"]
FINDING_COLUMNS = (
    ["rule", "location", "region", "metric", "unit", "scope", "detail", "gap", "sources_a", "sources_b"]
    + [f"{f}_a" for f in CLAIM_FIELDS]
    + [f"{f}_b" for f in CLAIM_FIELDS]
)
RULES = ("conflict", "inconsistent", "regression", "outlier")
PRECISION = {"year": 4, "month": 7, "day": 10}


@dataclass(frozen=True)
class CheckConfig:
    tolerance: float = 0.01
    approx_spread: float = 0.10
    period: str = "month"
    conflict: bool = True
    inconsistent: bool = True
    regression: bool = True
    levels: frozenset[str] = frozenset()  # metrics that are levels, not counts (taxonomy)
    outlier: bool = True
    outlier_factor: float = 10.0
    outlier_min_claims: int = 3


def load_checks(models_dir: str | Path | None = None) -> CheckConfig:
    """Read models/checks.yaml; a missing or malformed setting is one clear error."""
    path = Path(models_dir or DEFAULT_MODELS_DIR) / "checks.yaml"
    data = read_yaml(path)
    rules = data.get("rules") or {}

    def rule(name: str) -> dict:
        value = rules.get(name) or {}
        if not isinstance(value, dict):
            raise DomainError(f"{path}: rules.{name} must be a mapping")
        return value

    def number(where: dict, key: str, default: float, label: str) -> float:
        return setting_number(path, where, key, default, label)

    period = str(data.get("period", "month"))
    if period not in PRECISION:
        raise DomainError(f"{path}: period must be one of {', '.join(PRECISION)}, not {period!r}")
    conflict, inconsistent, regression, outlier = rule("conflict"), rule("inconsistent"), rule("regression"), rule("outlier")
    factor = number(outlier, "factor", 10, "rules.outlier.factor")
    if factor <= 1:
        raise DomainError(f"{path}: rules.outlier.factor must be above 1, not {factor:g}")
    return CheckConfig(
        tolerance=number(data, "tolerance", 0.01, "tolerance"),
        approx_spread=number(data, "approx_spread", 0.10, "approx_spread"),
        period=period,
        conflict=bool(conflict.get("enabled", True)),
        inconsistent=bool(inconsistent.get("enabled", True)),
        regression=bool(regression.get("enabled", True)),
        levels=frozenset(m.id for m in load_domain(models_dir).metrics if not m.cumulative),
        outlier=bool(outlier.get("enabled", True)),
        outlier_factor=factor,
        outlier_min_claims=int(number(outlier, "min_claims", 3, "rules.outlier.min_claims")),
    )


# -- reading a claim as ranges ----------------------------------------------------------------
def value_range(value: float, qualifier: str, cfg: CheckConfig) -> tuple[float, float]:
    """The values a claim allows: "over 300" is 300 and above, "about 300" is 300 ± 10 %."""
    if qualifier == "lower_bound":
        return value, math.inf
    if qualifier == "upper_bound":
        return min(0.0, value), value
    if qualifier == "approx":
        spread = abs(value) * cfg.approx_spread
        return value - spread, value + spread
    return value, value


def range_gap(low: tuple[float, float], high: tuple[float, float]) -> float:
    """How far range `high` lies above range `low`, relative to the values at the gap
    (zero or less: they meet)."""
    bottom, top = low[1], high[0]
    scale = max(abs(top), abs(bottom))
    return (top - bottom) / scale if scale and math.isfinite(scale) else float(top > bottom)


def apart(a: tuple[float, float], b: tuple[float, float], tolerance: float) -> bool:
    """True when two ranges are separated by more than `tolerance` of the larger value."""
    return max(range_gap(a, b), range_gap(b, a)) > tolerance


def date_span(text: str) -> tuple[date, date]:
    """First and last day an ISO date at its precision covers: "2024-11" is all November."""
    parts = [int(p) for p in str(text).split("-")]
    year = parts[0]
    if len(parts) == 1:
        return date(year, 1, 1), date(year, 12, 31)
    month = parts[1]
    if len(parts) == 2:
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return date(year, month, parts[2]), date(year, month, parts[2])


def period_key(text: str, cfg: CheckConfig) -> str:
    return str(text or "")[: PRECISION[cfg.period]]


def scope_of(metric: str, date_text: str, period_start: str, levels: frozenset[str], basis: str = "") -> str:
    """What kind of figure a claim is: a level as of its date, a count since a stated
    start, a count to date whose start is not stated (dated only by its publication), a
    count within the year or the month its date names, or a count on the day its date
    names (a single event)."""
    if metric in levels:
        return "level"
    if str(period_start or "").strip():
        return f"since {str(period_start).strip()[:7]}"  # "since 2020-11" and "since 2020-11-10" are one start
    if basis == "published":
        return "to date"
    return {4: "in the year", 7: "in the month"}.get(len(str(date_text).strip()), "on the day")


def compared_date(scope: str, date_text: str, cfg: CheckConfig) -> str:
    """The date two claims of one scope must share to be compared: a year's or a month's
    count is its year or month; a day's count, its day; levels and counts since a start,
    their date at the configured period."""
    if scope in ("in the year", "in the month", "on the day"):
        return str(date_text)
    return period_key(date_text, cfg)


# -- the rules -----------------------------------------------------------------------------------
Claim = Mapping[str, Any]  # a row of the prepared table


SCOPE = ["location", "region", "metric", "unit", "_scope"]


def _finding(rule: str, a: Claim, b: Claim, detail: str, gap: float, sources: tuple[int, int] = (1, 1)) -> dict:
    row = {
        "rule": rule, "location": a["location"], "region": a["region"], "metric": a["metric"], "unit": a["unit"],
        "scope": a["_scope"], "detail": detail, "gap": round(gap, 4), "sources_a": sources[0], "sources_b": sources[1],
    }  # fmt: skip
    for f in CLAIM_FIELDS:
        row[f"{f}_a"] = a[f]
        row[f"{f}_b"] = b[f]
    row["value_a"], row["value_b"] = format_value(a["value"]), format_value(b["value"])
    return row


def _describe(claim: Claim) -> str:
    sign = {"lower_bound": "over ", "upper_bound": "up to ", "approx": "about "}.get(claim["qualifier"], "")
    return f"{sign}{float(claim['value']):,.10g} ({claim['date']}, {claim['article_id']})"


def _groups(df: pd.DataFrame, keys: list[str], min_size: int = 2) -> Iterator[list[dict]]:
    """The claims of each group, as records in table order."""
    for _, group in df.groupby(keys, sort=True, dropna=False):
        if len(group) >= min_size:
            yield group.to_dict("records")


def _gap(low: Claim, high: Claim) -> float:
    return range_gap(low["_range"], high["_range"])


def _sides(claims: list[Claim], a: Claim, b: Claim, cfg: CheckConfig) -> tuple[int, int]:
    """How many articles of a group side with each claim (their ranges meet)."""

    def siding(x: Claim) -> int:
        return len({c["article_id"] for c in claims if not apart(c["_range"], x["_range"], cfg.tolerance)})

    return siding(a), siding(b)


def find_conflicts(df: pd.DataFrame, cfg: CheckConfig) -> list[dict]:
    """Each article's figure is paired with the earlier figure of another article (table
    order) that it contradicts most: a group of n articles gives at most n - 1 findings."""
    out = []
    for claims in _groups(df[df["_total"]], SCOPE + ["_when"]):
        for k, claim in enumerate(claims):
            others = [c for c in claims[:k] if c["article_id"] != claim["article_id"]]
            if not others:
                continue
            other = max(others, key=lambda c: max(_gap(c, claim), _gap(claim, c)))
            gap = max(_gap(other, claim), _gap(claim, other))
            if gap > cfg.tolerance:
                detail = f"{_describe(other)} vs {_describe(claim)}, {claim['_scope']}, {claim['_when']}"
                out.append(_finding("conflict", other, claim, detail, gap, _sides(claims, other, claim, cfg)))
    return out


def find_inconsistent(df: pd.DataFrame, cfg: CheckConfig) -> list[dict]:
    """Within one article, the parts of a scope and date add up to more than their total
    (the largest claim): parts may be anything smaller, but never more than the whole."""
    out = []
    for claims in _groups(df, SCOPE + ["_when", "article_id"], min_size=3):
        total = max(claims, key=lambda c: (c["_range"][1], c["_range"][0]))
        parts = [c for c in claims if c is not total]
        low_sum = sum(max(0.0, c["_range"][0]) for c in parts)
        if math.isfinite(total["_range"][1]) and low_sum > total["_range"][1] * (1 + cfg.tolerance):
            gap = range_gap(total["_range"], (low_sum, low_sum))
            largest = max(parts, key=lambda c: c["_range"][0])
            detail = f"parts adding up to {low_sum:,.10g} exceed the total {_describe(total)}"
            out.append(_finding("inconsistent", total, largest, detail, gap))
    return out


def find_regressions(df: pd.DataFrame, cfg: CheckConfig) -> list[dict]:
    """A count since a stated start paired with the figure of another article, dated
    wholly before it, that it falls furthest below."""
    out = []
    counted = df[df["_total"] & df["_scope"].str.startswith("since ")]
    for claims in _groups(counted, SCOPE):
        for later in claims:
            earlier = [c for c in claims if c["_last"] < later["_first"] and c["article_id"] != later["article_id"]]
            if not earlier:
                continue
            worst = max(earlier, key=lambda c: (c["_range"][0], c["_last"]))
            gap = _gap(later, worst)
            if gap > cfg.tolerance:
                detail = f"fell from {_describe(worst)} to {_describe(later)}, {later['_scope']}"
                out.append(_finding("regression", worst, later, detail, gap, _sides(claims, worst, later, cfg)))
    return out


def find_outliers(df: pd.DataFrame, cfg: CheckConfig) -> list[dict]:
    out = []
    for claims in _groups(df[df["_total"]], SCOPE, min_size=cfg.outlier_min_claims):
        values = [float(c["value"]) for c in claims]
        median = float(pd.Series(values).median())
        if median <= 0:
            continue
        nearest = min(claims, key=lambda c: abs(float(c["value"]) - median))
        for claim, v in zip(claims, values):
            ratio = v / median if v > 0 else math.inf
            if ratio > cfg.outlier_factor or ratio < 1 / cfg.outlier_factor:
                how = f"{ratio:.1f}x" if ratio >= 1 else f"1/{1 / ratio:.0f}" if ratio > 0 else "0x"
                detail = f"{_describe(claim)} is {how} the median {median:,.10g} of {len(claims)} claims, {claim['_scope']}"
                gap = abs(v - median) / max(abs(v), median)
                out.append(_finding("outlier", claim, nearest, detail, gap, (1, len(claims) - 1)))
    return out


def prepare(claims: pd.DataFrame, cfg: CheckConfig) -> pd.DataFrame:
    """The claims the checks compare (a metric and a place), with their ranges, date spans,
    scope, compared date, and whether each is its article's figure for its scope and date
    (the largest) or a part of it."""
    df = complete(claims)
    if "region" not in df.columns:
        df["region"] = ""
    df = df[(df["metric"] != "other") & (df["location"].astype(str).str.strip() != "")].copy()
    df["value"] = df["value"].astype(float)
    df["_range"] = [value_range(v, q, cfg) for v, q in zip(df["value"], df["qualifier"])]
    spans = [date_span(d) for d in df["date"]]
    df["_first"] = [s[0] for s in spans]
    df["_last"] = [s[1] for s in spans]
    df["_scope"] = [scope_of(m, d, p, cfg.levels, b) for m, d, p, b in zip(df["metric"], df["date"], df["period_start"], df["date_basis"])]
    df["_when"] = [compared_date(sc, d, cfg) for sc, d in zip(df["_scope"], df["date"])]
    df["_total"] = False
    if not df.empty:
        order = df.assign(_high=[r[1] for r in df["_range"]], _low=[r[0] for r in df["_range"]])
        order = order.sort_values(["_high", "_low"], ascending=False, kind="mergesort")
        first = order.drop_duplicates(SCOPE + ["_when", "article_id"]).index
        df.loc[first, "_total"] = True
    return df


def source_differences(claims: pd.DataFrame, cfg: CheckConfig | None = None) -> pd.DataFrame:
    """Where articles give different figures for one scope: the lowest and the highest
    claim of each. Not errors in themselves (counts since a start grow, levels change),
    but what a fact-checker looks at first."""
    cfg = cfg or load_checks()
    df = prepare(claims, cfg)
    df = df[df["_total"]]
    out = []
    for keys, group in df.groupby(SCOPE, sort=True):
        if group["article_id"].nunique() < 2:
            continue
        ordered = group.sort_values(["value", "_first", "article_id", "claim_id"], kind="mergesort")
        low, high = ordered.iloc[0], ordered.iloc[-1]
        if not apart((low["value"], low["value"]), (high["value"], high["value"]), cfg.tolerance):
            continue
        row = dict(zip(["location", "region", "metric", "unit", "scope"], keys))
        row.update(claims=len(group), articles=int(group["article_id"].nunique()), claim_id_low=low["claim_id"], claim_id_high=high["claim_id"])
        out.append(row)
    columns = ["location", "region", "metric", "unit", "scope", "claims", "articles", "claim_id_low", "claim_id_high"]
    return pd.DataFrame.from_records(out, columns=columns)


def check_claims(claims: pd.DataFrame, cfg: CheckConfig | None = None) -> pd.DataFrame:
    """Every finding of the enabled rules, one row each, the ones most worth a look first:
    by the gap times the articles on both sides."""
    cfg = cfg or load_checks()
    df = prepare(claims, cfg)
    findings: list[dict] = []
    if not df.empty:
        for rule, find in (("conflict", find_conflicts), ("inconsistent", find_inconsistent), ("regression", find_regressions), ("outlier", find_outliers)):
            if getattr(cfg, rule):
                findings += find(df, cfg)
    out = pd.DataFrame.from_records(findings, columns=FINDING_COLUMNS)
    out["_weight"] = -(out["gap"].astype(float) * (out["sources_a"].astype(int) + out["sources_b"].astype(int)))
    out["_order"] = out["rule"].map({r: i for i, r in enumerate(RULES)})
    out = out.sort_values(["_weight", "_order", "location", "metric", "claim_id_a", "claim_id_b"], kind="mergesort")
    return out.drop(columns=["_weight", "_order"]).reset_index(drop=True)


def check_file(claims_path: str | Path, out: str | Path | None = None, models_dir: str | Path | None = None) -> pd.DataFrame:
    """Check a claims CSV; write the findings atomically when `out` is given."""
    findings = check_claims(read_predicted(claims_path), load_checks(models_dir))
    if out is not None:
        write_atomic(out, findings.to_csv(index=False, lineterminator="\n"))
    return findings
