"""Consistency checks over a claims table: where sources disagree.

Three rules, with their thresholds in ``models/checks.yaml``:

- conflict: the same place, metric, unit, as-of period and count start, with value
  ranges that contradict (exactly 250 vs over 300, or two exact values more than 1 %
  apart);
- regression: a cumulative count that falls over time for the same place;
- outlier: a value more than 10x away from the median of its place and metric.

Each finding names two claims. ``check_claims(df)`` works on any table with the
contract's columns; ``claims check`` is a thin layer over it.
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
from .domain import DEFAULT_MODELS_DIR, DomainError, read_yaml, setting_number
from .evaluate import read_predicted
from .table import complete, format_value

CLAIM_FIELDS = ["claim_id", "article_id", "value", "qualifier", "date", "period_start", "surface", "sentence"]
FINDING_COLUMNS = (
    ["rule", "location", "metric", "unit", "detail"]
    + [f"{f}_a" for f in CLAIM_FIELDS]
    + [f"{f}_b" for f in CLAIM_FIELDS]
)
PRECISION = {"year": 4, "month": 7, "day": 10}


@dataclass(frozen=True)
class CheckConfig:
    tolerance: float = 0.01
    approx_spread: float = 0.10
    period: str = "month"
    conflict: bool = True
    regression: bool = True
    regression_metrics: frozenset[str] = frozenset()
    same_period_start: frozenset[str] = frozenset()
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
    conflict, regression, outlier = rule("conflict"), rule("regression"), rule("outlier")
    factor = number(outlier, "factor", 10, "rules.outlier.factor")
    if factor <= 1:
        raise DomainError(f"{path}: rules.outlier.factor must be above 1, not {factor:g}")
    return CheckConfig(
        tolerance=number(data, "tolerance", 0.01, "tolerance"),
        approx_spread=number(data, "approx_spread", 0.10, "approx_spread"),
        period=period,
        conflict=bool(conflict.get("enabled", True)),
        regression=bool(regression.get("enabled", True)),
        regression_metrics=frozenset(map(str, regression.get("metrics") or [])),
        same_period_start=frozenset(map(str, regression.get("same_period_start") or [])),
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


# -- the rules -----------------------------------------------------------------------------------
Claim = Mapping[str, Any]  # a row of the prepared table


def _finding(rule: str, a: Claim, b: Claim, detail: str) -> dict:
    row = {"rule": rule, "location": a["location"], "metric": a["metric"], "unit": a["unit"], "detail": detail}
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


def find_conflicts(df: pd.DataFrame, cfg: CheckConfig) -> list[dict]:
    """Each claim is paired with the earlier claim of its group (table order) that it
    contradicts most, so a group of n claims gives at most n - 1 findings."""
    out = []
    for claims in _groups(df, ["location", "metric", "unit", "_period", "_start"]):
        top = bottom = claims[0]  # earlier claims with the highest low end, the lowest high end
        for claim in claims[1:]:
            above, below = _gap(claim, top), _gap(bottom, claim)
            other, gap = (top, above) if above >= below else (bottom, below)
            if gap > cfg.tolerance:
                out.append(_finding("conflict", other, claim, f"{_describe(other)} vs {_describe(claim)}, same period {claim['_period']}"))
            top = claim if claim["_range"][0] > top["_range"][0] else top
            bottom = claim if claim["_range"][1] < bottom["_range"][1] else bottom
    return out


def find_regressions(df: pd.DataFrame, cfg: CheckConfig) -> list[dict]:
    """Each claim is paired with the claim dated wholly before it whose range it falls
    furthest below (sweeping the group by date, so large groups stay cheap)."""
    out = []
    df = df[df["metric"].isin(cfg.regression_metrics)]
    for claims in _groups(df, ["location", "metric", "unit", "_series"]):
        by_first = sorted(claims, key=lambda c: (c["_first"], c["_last"], c["article_id"], c["claim_id"]))
        by_last = sorted(claims, key=lambda c: (c["_last"], c["_first"], c["article_id"], c["claim_id"]))
        worst, k = None, 0
        for later in by_first:
            while k < len(by_last) and by_last[k]["_last"] < later["_first"]:
                if worst is None or by_last[k]["_range"][0] > worst["_range"][0]:
                    worst = by_last[k]
                k += 1
            if worst is not None and _gap(later, worst) > cfg.tolerance:
                out.append(_finding("regression", worst, later, f"fell from {_describe(worst)} to {_describe(later)}"))
    return out


def find_outliers(df: pd.DataFrame, cfg: CheckConfig) -> list[dict]:
    out = []
    for claims in _groups(df, ["location", "metric", "unit"], min_size=cfg.outlier_min_claims):
        values = [float(c["value"]) for c in claims]
        median = float(pd.Series(values).median())
        if median <= 0:
            continue
        nearest = min(claims, key=lambda c: abs(float(c["value"]) - median))
        for claim, v in zip(claims, values):
            ratio = v / median if v > 0 else math.inf
            if ratio > cfg.outlier_factor or ratio < 1 / cfg.outlier_factor:
                how = f"{ratio:.1f}x" if ratio >= 1 else f"1/{1 / ratio:.0f}" if ratio > 0 else "0x"
                detail = f"{_describe(claim)} is {how} the median {median:,.10g} of {len(claims)} claims"
                out.append(_finding("outlier", claim, nearest, detail))
    return out


def prepare(claims: pd.DataFrame, cfg: CheckConfig) -> pd.DataFrame:
    """The claims the checks compare (a metric and a place), with their ranges, date spans,
    periods and series (the count start, for metrics counted from one)."""
    df = complete(claims)
    df = df[(df["metric"] != "other") & (df["location"].astype(str).str.strip() != "")].copy()
    df["value"] = df["value"].astype(float)
    df["_range"] = [value_range(v, q, cfg) for v, q in zip(df["value"], df["qualifier"])]
    spans = [date_span(d) for d in df["date"]]
    df["_first"] = [s[0] for s in spans]
    df["_last"] = [s[1] for s in spans]
    df["_period"] = [period_key(d, cfg) for d in df["date"]]
    df["_start"] = [period_key(d, cfg) for d in df["period_start"]]
    df["_series"] = [s if m in cfg.same_period_start else "" for m, s in zip(df["metric"], df["_start"])]
    return df


def source_differences(claims: pd.DataFrame, cfg: CheckConfig | None = None) -> pd.DataFrame:
    """Where articles give different values for the same place and metric (and count
    start, where that matters): the lowest and the highest claim of each. Not errors in
    themselves (counts grow over time), but what a fact-checker looks at first."""
    cfg = cfg or load_checks()
    df = prepare(claims, cfg)
    out = []
    for (location, metric, unit, series), group in df.groupby(["location", "metric", "unit", "_series"], sort=True):
        if group["article_id"].nunique() < 2:
            continue
        ordered = group.sort_values(["value", "_first", "article_id", "claim_id"], kind="mergesort")
        low, high = ordered.iloc[0], ordered.iloc[-1]
        if not apart((low["value"], low["value"]), (high["value"], high["value"]), cfg.tolerance):
            continue
        out.append(
            {
                "location": location,
                "metric": metric,
                "unit": unit,
                "by_start": metric in cfg.same_period_start,
                "period_start": series,
                "claims": len(group),
                "articles": int(group["article_id"].nunique()),
                "claim_id_low": low["claim_id"],
                "claim_id_high": high["claim_id"],
            }
        )
    columns = ["location", "metric", "unit", "by_start", "period_start", "claims", "articles", "claim_id_low", "claim_id_high"]
    return pd.DataFrame.from_records(out, columns=columns)


def check_claims(claims: pd.DataFrame, cfg: CheckConfig | None = None) -> pd.DataFrame:
    """Every finding of the enabled rules, one row each, in a stable order."""
    cfg = cfg or load_checks()
    df = prepare(claims, cfg)
    findings: list[dict] = []
    if not df.empty:
        if cfg.conflict:
            findings += find_conflicts(df, cfg)
        if cfg.regression:
            findings += find_regressions(df, cfg)
        if cfg.outlier:
            findings += find_outliers(df, cfg)
    out = pd.DataFrame.from_records(findings, columns=FINDING_COLUMNS)
    order = {"conflict": 0, "regression": 1, "outlier": 2}
    out["_order"] = out["rule"].map(order)
    out = out.sort_values(["_order", "location", "metric", "claim_id_a", "claim_id_b"], kind="mergesort")
    return out.drop(columns="_order").reset_index(drop=True)


def check_file(claims_path: str | Path, out: str | Path | None = None, models_dir: str | Path | None = None) -> pd.DataFrame:
    """Check a claims CSV; write the findings atomically when `out` is given."""
    findings = check_claims(read_predicted(claims_path), load_checks(models_dir))
    if out is not None:
        write_atomic(out, findings.to_csv(index=False, lineterminator="\n"))
    return findings
