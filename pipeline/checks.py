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
import itertools
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable

import pandas as pd

from .storage import write_atomic
from .domain import DEFAULT_MODELS_DIR, DomainError, read_yaml
from .evaluate import read_predicted
from .table import format_value

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
        value = where.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise DomainError(f"{path}: {label} must be a non-negative number, not {value!r}")
        return float(value)

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


def apart(a: tuple[float, float], b: tuple[float, float], tolerance: float) -> bool:
    """True when two ranges are separated by more than `tolerance` of the larger value."""
    low, high = (a, b) if a[1] <= b[1] else (b, a)
    gap = high[0] - low[1]
    return gap > tolerance * max(abs(high[0]), abs(low[1]))


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
def _finding(rule: str, a: pd.Series, b: pd.Series, detail: str) -> dict:
    row = {"rule": rule, "location": a["location"], "metric": a["metric"], "unit": a["unit"], "detail": detail}
    for f in CLAIM_FIELDS:
        row[f"{f}_a"] = a[f]
        row[f"{f}_b"] = b[f]
    row["value_a"], row["value_b"] = format_value(a["value"]), format_value(b["value"])
    return row


def _describe(claim: pd.Series) -> str:
    sign = {"lower_bound": "over ", "upper_bound": "up to ", "approx": "about "}.get(claim["qualifier"], "")
    return f"{sign}{float(claim['value']):,.10g} ({claim['date']}, {claim['article_id']})"


def _groups(df: pd.DataFrame, keys: list[str]) -> Iterable[pd.DataFrame]:
    for _, group in df.groupby(keys, sort=True, dropna=False):
        if len(group) > 1:
            yield group


def find_conflicts(df: pd.DataFrame, cfg: CheckConfig) -> list[dict]:
    out = []
    for group in _groups(df, ["location", "metric", "unit", "_period", "_start"]):
        for (_, a), (_, b) in itertools.combinations(group.iterrows(), 2):
            if apart(a["_range"], b["_range"], cfg.tolerance):
                out.append(_finding("conflict", a, b, f"{_describe(a)} vs {_describe(b)}, same period {a['_period']}"))
    return out


def find_regressions(df: pd.DataFrame, cfg: CheckConfig) -> list[dict]:
    out = []
    df = df[df["metric"].isin(cfg.regression_metrics)]
    for group in _groups(df, ["location", "metric", "unit", "_series"]):
        rows = list(group.sort_values(["_first", "_last", "article_id", "claim_id"]).iterrows())
        for _, later in rows:
            earlier = [e for _, e in rows if e["_last"] < later["_first"]]
            # the earlier claim it falls furthest below
            worst = max(earlier, key=lambda e: e["_range"][0], default=None)
            if worst is None or not (later["_range"][1] < worst["_range"][0]):
                continue
            if apart(worst["_range"], later["_range"], cfg.tolerance):
                out.append(_finding("regression", worst, later, f"fell from {_describe(worst)} to {_describe(later)}"))
    return out


def find_outliers(df: pd.DataFrame, cfg: CheckConfig) -> list[dict]:
    out = []
    for _, group in df.groupby(["location", "metric", "unit"], sort=True):
        if len(group) < cfg.outlier_min_claims:
            continue
        median = float(group["value"].median())
        if median <= 0:
            continue
        nearest = group.loc[(group["value"] - median).abs().sort_values(kind="mergesort").index[0]]
        for _, claim in group.iterrows():
            v = float(claim["value"])
            ratio = v / median if v > 0 else math.inf
            if ratio > cfg.outlier_factor or ratio < 1 / cfg.outlier_factor:
                how = f"{ratio:.1f}x" if ratio >= 1 else f"1/{1 / ratio:.0f}" if ratio > 0 else "0x"
                detail = f"{_describe(claim)} is {how} the median {median:,.10g} of {len(group)} claims"
                out.append(_finding("outlier", claim, nearest, detail))
    return out


def prepare(claims: pd.DataFrame, cfg: CheckConfig) -> pd.DataFrame:
    """The claims the checks compare (a metric and a place), with their ranges, date spans,
    periods and series (the count start, for metrics counted from one)."""
    df = claims.copy()
    for col in ("claim_id", "location", "sentence", "period_start", "surface"):
        if col not in df.columns:
            df[col] = [f"row{i + 2}" for i in range(len(df))] if col == "claim_id" else ""
    df = df.fillna("")
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
