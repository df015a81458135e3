"""The claims table: the contract's columns, their order, sorting, ids, the CSV file.

The only code that knows the CSV columns (../shared/docs/claims-contract.md).
"""

from __future__ import annotations

import hashlib
import io
import math
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from .storage import name_of, read_bytes, write_atomic

COLUMNS = [
    "claim_id",
    "article_id",
    "metric",
    "value",
    "unit",
    "qualifier",
    "date",
    "date_basis",
    "period_start",
    "surface",
    "sentence",
    "start",
    "end",
    "published",
    "location",
    "region",
    # claims review: `confirmed`, `corrected`, `added`, or empty (pipeline.review)
    "review",
]
INT_COLUMNS = ("start", "end")


def format_value(value: float) -> str:
    """A plain decimal: 1500000, 0.5, 25000000000 (never 1.5e6 or 1500000.0)."""
    v = float(value)
    if not math.isfinite(v):
        return str(v)  # "inf", "nan": left for the reader's validation to name
    if abs(v - round(v)) < 1e-9 * max(1.0, abs(v)):
        return str(int(round(v)))
    return f"{v:.6f}".rstrip("0").rstrip(".")


def claim_id(row: Mapping[str, object]) -> str:
    """Stable for the same text: a hash of where the figure is and what it was read as."""
    key = "|".join(str(row[k]) for k in ("article_id", "start", "end", "metric", "value", "unit"))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def dedupe(rows: Iterable[dict]) -> list[dict]:
    """One row per (article, metric, value, unit, date): the first mention stays."""
    seen: set[tuple] = set()
    out = []
    for row in sorted(rows, key=lambda r: (r["article_id"], r["start"], r["end"])):
        key = (row["article_id"], row["metric"], format_value(row["value"]), row["unit"], row["date"])
        if key in seen:
            continue
        seen.add(key)
        out.append(row)
    return out


def claims_frame(rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """The contract table: columns in order, rows sorted by article and offset, ids set."""
    records = []
    for r in rows:
        rec = {c: r.get(c, "") for c in COLUMNS}
        rec["value"] = format_value(rec["value"])
        rec["claim_id"] = claim_id(rec)
        records.append(rec)
    df = pd.DataFrame.from_records(records, columns=COLUMNS)
    if df.empty:
        return df.astype({c: "int64" for c in INT_COLUMNS})
    df = df.sort_values(["article_id", "start", "end", "metric"], kind="mergesort").reset_index(drop=True)
    for c in INT_COLUMNS:
        df[c] = df[c].astype("int64")
    # ids are unique in the table: a clash (same figure read twice) gets a suffix
    counts: dict[str, int] = {}
    ids = []
    for cid in df["claim_id"]:
        n = counts.get(cid, 0)
        counts[cid] = n + 1
        ids.append(cid if n == 0 else f"{cid}-{n}")
    df["claim_id"] = ids
    return df


def complete(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every contract column present, for tables that hold only what scoring
    needs: a missing claim_id becomes the row's line number in the file, missing offsets
    0, other missing columns and empty cells ""."""
    out = df.copy()
    for c in COLUMNS:
        if c not in out.columns:
            out[c] = [f"row{i + 2}" for i in range(len(out))] if c == "claim_id" else 0 if c in INT_COLUMNS else ""
    return out.fillna("")


def to_csv_text(df: pd.DataFrame) -> str:
    buf = io.StringIO()
    out = df.copy()
    out["value"] = [format_value(v) for v in out["value"]]
    out.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def is_parquet(path: str | Path) -> bool:
    return name_of(path).lower().endswith(".parquet")


def to_parquet_bytes(df: pd.DataFrame) -> bytes:
    """The table as Parquet, with the CSV's columns and types: `value` a number, the
    offsets integers, everything else text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = df.copy()
    out["value"] = [float(format_value(v)) for v in out["value"]]
    kinds = {"value": pa.float64(), **{c: pa.int64() for c in INT_COLUMNS}}
    for c in out.columns:
        if c not in kinds:
            out[c] = out[c].astype(str)
    schema = pa.schema([(c, kinds.get(c, pa.string())) for c in out.columns])
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(out, schema=schema, preserve_index=False), sink)
    return sink.getvalue().to_pybytes()


def write_claims(df: pd.DataFrame, path: str | Path) -> None:
    """Write the table atomically (a half-written file never replaces a good one), as
    Parquet when the name ends in .parquet, else as CSV; the path may be an fsspec URL."""
    write_atomic(path, to_parquet_bytes(df) if is_parquet(path) else to_csv_text(df))


def read_claims(path: str | Path) -> pd.DataFrame:
    """Read a claims CSV or Parquet file back with every column as text except the offsets."""
    if is_parquet(path):
        df = pd.read_parquet(io.BytesIO(read_bytes(path)))
        if "value" in df.columns:
            df["value"] = [format_value(v) for v in df["value"]]
        df = df.astype({c: str for c in df.columns if c not in INT_COLUMNS})
    else:
        df = pd.read_csv(io.BytesIO(read_bytes(path)), dtype=str, keep_default_na=False)
    for c in INT_COLUMNS:
        if c in df.columns:
            df[c] = df[c].astype("int64")
    return df
