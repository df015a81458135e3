"""The report: one self-contained HTML page over a claims table.

For each place and metric, a timeline chart (value against as-of date, a mark per
qualifier, the sentence in the tooltip) and the table of its claims with the figure
highlighted in its sentence; an overview; and the disagreements that the checks in
``pipeline.checks`` find, each with both sources. The charts are Vega-Lite specs made
with Altair, and the Vega scripts are inlined (vl-convert ships them), so the page
opens offline. Names and marks come from ``models/report.yaml``.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from .checks import CheckConfig, check_claims, date_span, load_checks, scope_of, source_differences
from .corpus import Article, CorpusError, read_article
from .storage import list_files, name_of, write_atomic
from .table import complete
from .domain import DEFAULT_MODELS_DIR, read_yaml, setting_mapping, setting_number
from .evaluate import read_predicted


@dataclass(frozen=True)
class ReportStyle:
    metrics: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)
    qualifiers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    no_place: str = "Place not stated"
    max_rows: int = 200
    tooltip_chars: int = 280

    def metric(self, metric_id: str) -> str:
        return self.metrics.get(metric_id, metric_id)

    def unit(self, unit_id: str) -> str:
        return self.units.get(unit_id, unit_id)

    def figure(self, value: float, qualifier: str, unit: str) -> str:
        """How a claim reads: "over 1,500,000", "about 176,237 hectares", "12 %"."""
        prefix = self.qualifiers.get(qualifier, {}).get("prefix", "")
        unit_label = "" if unit == "count" else self.unit(unit)
        sep = "" if unit_label == "%" else " "
        number = f"{float(value):,.10g}"
        return f"{prefix}{number}{sep}{unit_label}".strip()


def load_style(models_dir: str | Path | None = None) -> ReportStyle:
    """Read models/report.yaml; a malformed setting is one clear error."""
    path = Path(models_dir or DEFAULT_MODELS_DIR) / "report.yaml"
    data = read_yaml(path)
    qualifiers = setting_mapping(path, data, "qualifiers")
    return ReportStyle(
        metrics={str(k): str(v) for k, v in setting_mapping(path, data, "metrics").items()},
        units={str(k): str(v) for k, v in setting_mapping(path, data, "units").items()},
        qualifiers={str(k): {str(a): str(b) for a, b in setting_mapping(path, qualifiers, k).items()} for k in qualifiers},
        no_place=str(data.get("no_place", "Place not stated")),
        max_rows=int(setting_number(path, data, "max_rows", 200, whole=True)),
        tooltip_chars=int(setting_number(path, data, "tooltip_chars", 280, whole=True)),
    )


# -- sources ------------------------------------------------------------------------------------
def read_articles(corpus_dir: str | Path | None, article_ids: list[str]) -> dict[str, Article]:
    """The corpus articles the table cites, for outlet, title, link and exact sentence
    offsets; a missing corpus or file only makes the page less rich."""
    out: dict[str, Article] = {}
    try:
        files = list_files(corpus_dir, ".txt") if corpus_dir else None
    except OSError:  # storage that cannot be used here: the page shows ids only
        files = None
    by_id = {name_of(f).removesuffix(".txt"): f for f in files or []}
    for article_id in sorted(set(article_ids) & set(by_id)):
        try:
            out[article_id] = read_article(by_id[article_id])
        except CorpusError:
            continue
    return out


def highlight(sentence: str, surface: str, start: int, body: str | None) -> Markup:
    """The sentence with its figure in <mark>: placed by the body offsets when the body is
    at hand (a figure may be written twice in one sentence), else by its first occurrence."""
    at = -1
    if body is not None:
        lo = max(0, start + len(surface) - len(sentence))
        pos = body.find(sentence, lo, start + len(sentence))
        if pos != -1 and pos <= start:
            at = start - pos
    if at < 0 or sentence[at : at + len(surface)] != surface:
        at = sentence.find(surface) if surface else -1
    if at < 0:
        return Markup(html.escape(sentence))
    before, mid, after = sentence[:at], sentence[at : at + len(surface)], sentence[at + len(surface) :]
    return Markup(f"{html.escape(before)}<mark>{html.escape(mid)}</mark>{html.escape(after)}")


def _source(article: Article | None, article_id: str) -> dict[str, str]:
    meta = article.meta if article else {}
    outlet = meta.get("outlet", "").strip()
    byline = outlet or meta.get("author", "").strip()
    return {
        "article_id": article_id,
        "outlet": outlet,
        "title": meta.get("title", "").strip(),
        "url": meta.get("url", "").strip() if meta.get("url", "").startswith(("http://", "https://")) else "",
        "published": meta.get("published", ""),
        "byline": byline,
        "label": byline or article_id,
    }


# -- charts ---------------------------------------------------------------------------------------
def _chart_date(text: str) -> str:
    """A point on the time axis: the middle of the period a date covers, local time."""
    first, last = date_span(text)
    middle = first + (last - first) / 2
    return f"{middle.isoformat()}T00:00:00"


def scope_label(scope: str, region: str = "") -> str:
    """How a series reads in a legend: "since 1996", "per year", "level" (and its region)."""
    label = {"in the year": "per year", "in the month": "per month", "on the day": "on one day"}.get(scope, scope)
    return f"{label} · {region}" if region else label


def chart_spec(rows: pd.DataFrame, style: ReportStyle, unit: str) -> dict[str, Any]:
    """A Vega-Lite timeline: a line per scope (a count since one start, a year's or a
    month's count, a level) and region, so a week's figure never sits on the line of a
    running total; a mark per qualifier; the sentence and source in the tooltip."""
    import altair as alt

    quals = [q for q in style.qualifiers] or sorted(rows["qualifier"].unique())
    data = pd.DataFrame(
        {
            "as_of": [_chart_date(d) for d in rows["date"]],
            "value": rows["value"].astype(float),
            "figure": rows["figure"],
            "date": rows["date"],
            "qualifier": [style.qualifiers.get(q, {}).get("label", q) for q in rows["qualifier"]],
            "counted": [scope_label(sc, r) for sc, r in zip(rows["scope"], rows["region"])],
            "source": rows["source_label"],
            "article": rows["article_id"],
            "sentence": [s if len(s) <= style.tooltip_chars else s[: style.tooltip_chars - 1] + "…" for s in rows["sentence"]],
        }
    )
    shapes = alt.Scale(
        domain=[style.qualifiers.get(q, {}).get("label", q) for q in quals],
        range=[style.qualifiers.get(q, {}).get("shape", "circle") for q in quals],
    )
    x = alt.X("as_of:T", title="as of", scale=alt.Scale(padding=14), axis=alt.Axis(format="%b %Y", labelOverlap=True, tickCount=6))
    y = alt.Y("value:Q", title=style.unit(unit), axis=alt.Axis(format="~s"), scale=alt.Scale(zero=True))
    color = alt.Color("counted:N", title="counted", legend=alt.Legend(orient="bottom", direction="vertical"))
    base = alt.Chart(data)
    line = base.mark_line(opacity=0.45, strokeWidth=1.5).encode(x=x, y=y, color=color, detail="counted:N")
    points = base.mark_point(filled=True, size=90, opacity=0.9).encode(
        x=x,
        y=y,
        color=color,
        shape=alt.Shape("qualifier:N", scale=shapes, title="figure is", legend=alt.Legend(orient="bottom", direction="vertical")),
        tooltip=[
            alt.Tooltip("figure:N", title="figure"),
            alt.Tooltip("date:N", title="as of"),
            alt.Tooltip("counted:N", title="counted"),
            alt.Tooltip("source:N", title="source"),
            alt.Tooltip("article:N", title="article"),
            alt.Tooltip("sentence:N", title="sentence"),
        ],
    )
    chart = (line + points).properties(width="container", height=220).configure_view(stroke=None)
    return chart.to_dict()


@lru_cache(maxsize=1)
def vega_script() -> str:
    """Vega, Vega-Lite and vega-embed in one script, matching Altair's Vega-Lite version."""
    import altair as alt
    import vl_convert as vlc

    version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return vlc.javascript_bundle(vl_version=version).replace("</script", "<\\/script")


def _json_for_script(data: Any) -> Markup:
    """JSON that is safe inside a <script> element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


# -- the page -------------------------------------------------------------------------------------
def _slug(*parts: str) -> str:
    text = "-".join(parts).lower()
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


def report_context(
    claims: pd.DataFrame,
    findings: pd.DataFrame,
    differences: pd.DataFrame,
    articles: Mapping[str, Article],
    style: ReportStyle,
    source_name: str = "",
    cfg: CheckConfig | None = None,
) -> dict[str, Any]:
    """Everything the page shows, as plain data (the template only lays it out). Sections
    are countries; regions show inside them, on each claim and in the chart's series."""
    cfg = cfg or load_checks()
    df = complete(claims)
    if "region" not in df.columns:
        df["region"] = ""
    df = df[df["metric"] != "other"].copy()
    df["value"] = df["value"].astype(float)
    df["region"] = df["region"].astype(str).str.strip()
    df["place"] = [loc.strip() or style.no_place for loc in df["location"].astype(str)]
    df["scope"] = [scope_of(m, d, p, cfg.levels, b) for m, d, p, b in zip(df["metric"], df["date"], df["period_start"], df["date_basis"])]
    sources = {aid: _source(articles.get(aid), aid) for aid in sorted(set(df["article_id"]))}
    df["source_label"] = [sources[a]["label"] for a in df["article_id"]]
    df["figure"] = [style.figure(v, q, u) for v, q, u in zip(df["value"], df["qualifier"], df["unit"])]
    df["_first"] = [date_span(d)[0] for d in df["date"]]

    def claim_view(r: Mapping[str, Any]) -> dict[str, Any]:
        article = articles.get(r["article_id"])
        return {
            "id": r["claim_id"],
            "figure": r["figure"],
            "date": r["date"],
            "date_basis": r["date_basis"],
            "period_start": r["period_start"],
            "scope": scope_label(r["scope"]),
            "region": r["region"],
            "qualifier": style.qualifiers.get(r["qualifier"], {}).get("label", r["qualifier"]),
            "source": sources[r["article_id"]],
            "sentence": highlight(str(r["sentence"]), str(r["surface"]), int(r["start"]), article.body if article else None),
            "start": r["start"],
            "end": r["end"],
            "review": str(r.get("review", "") or ""),
        }

    views = {i: claim_view(r) for i, r in zip(df.index, df.to_dict("records"))}
    places = []
    for place, pdf in sorted(df.groupby("place"), key=lambda kv: (kv[0] == style.no_place, -len(kv[1]), kv[0])):
        sections = []
        for (metric, unit), mdf in sorted(pdf.groupby(["metric", "unit"]), key=lambda kv: (-len(kv[1]), kv[0])):
            mdf = mdf.sort_values(["_first", "article_id", "start"], kind="mergesort")
            sections.append(
                {
                    "id": _slug(place, metric, unit),
                    "metric": style.metric(metric),
                    "metric_id": metric,
                    "unit": style.unit(unit),
                    "claims": [views[i] for i in mdf.index],
                    "articles": mdf["article_id"].nunique(),
                    "spec": _json_for_script(chart_spec(mdf, style, unit)),
                }
            )
        regions = sorted(r for r in pdf["region"].unique() if r)
        places.append({"name": place, "id": _slug("place", place), "claims": len(pdf), "regions": regions, "sections": sections})

    by_id = {v["id"]: v for v in views.values()}

    def finding_view(f: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "rule": f["rule"],
            "place": f["location"] + (f" · {f['region']}" if f.get("region") else ""),
            "scope": scope_label(f.get("scope", "")),
            "metric": style.metric(f["metric"]),
            "detail": f["detail"],
            "a": by_id.get(f["claim_id_a"]),
            "b": by_id.get(f["claim_id_b"]),
            "anchor_a": _slug(f["location"], f["metric"], f["unit"]),
        }

    def difference_view(d: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "place": d["location"] + (f" · {d['region']}" if d["region"] else ""),
            "metric": style.metric(d["metric"]),
            "counted": scope_label(d["scope"]),
            "low": by_id.get(d["claim_id_low"]),
            "high": by_id.get(d["claim_id_high"]),
            "claims": d["claims"],
            "articles": d["articles"],
            "anchor": _slug(d["location"], d["metric"], d["unit"]),
        }

    dated = sorted(df["date"].astype(str)) if len(df) else []
    rules = findings["rule"].value_counts().to_dict() if len(findings) else {}
    return {
        "source_name": Path(source_name).name if source_name else "",
        "source_path": source_name,
        "overview": {
            "articles": int(claims["article_id"].nunique()) if len(claims) else 0,
            "claims": len(df),
            "places": int(df.loc[df["place"] != style.no_place, "place"].nunique()),
            "metrics": int(df["metric"].nunique()),
            "date_from": dated[0] if dated else "",
            "date_to": dated[-1] if dated else "",
            "findings": len(findings),
            "rules": rules,
        },
        "articles": [
            dict(sources[aid], claims=int((df["article_id"] == aid).sum())) for aid in sorted(sources, key=lambda a: (sources[a]["published"], a))
        ],
        "places": places,
        "findings": [finding_view(f) for f in findings.head(style.max_rows).to_dict("records")],
        "findings_total": len(findings),
        "differences": [difference_view(d) for d in differences.head(style.max_rows).to_dict("records")],
        "differences_total": len(differences),
        "max_rows": style.max_rows,
    }


def render_report(context: Mapping[str, Any]) -> str:
    env = Environment(loader=PackageLoader("pipeline", "templates"), autoescape=select_autoescape(["html"]))
    return env.get_template("report.html").render(vega_script=Markup(vega_script()), **context)


def build_report(
    claims: pd.DataFrame,
    articles: Mapping[str, Article] | None = None,
    models_dir: str | Path | None = None,
    source_name: str = "",
) -> str:
    """The report page for a claims table, from Python."""
    cfg: CheckConfig = load_checks(models_dir)
    findings = check_claims(claims, cfg)
    differences = source_differences(claims, cfg)
    return render_report(report_context(claims, findings, differences, articles or {}, load_style(models_dir), source_name, cfg))


def report_file(
    claims_path: str | Path,
    out: str | Path,
    corpus_dir: str | Path | None = "corpus",
    models_dir: str | Path | None = None,
) -> dict[str, int]:
    """Read a claims CSV, write the page atomically; returns what the overview counts."""
    claims = read_predicted(claims_path)
    articles = read_articles(corpus_dir, list(claims["article_id"]))
    page = build_report(claims, articles, models_dir, source_name=str(claims_path))
    write_atomic(out, page)
    return {"claims": len(claims), "articles": int(claims["article_id"].nunique()), "sources_found": len(articles)}
