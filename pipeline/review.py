"""Reviews: a person's decisions on claims, kept in one SQLite file beside the table.

A review is keyed by where the figure is and what it was read as: (article_id, start,
end, surface, metric), so it survives re-extraction (the pipeline gives the same span the
same key) and several metrics of one span are reviewed apart. It records the decision
(``confirmed``, ``rejected``, ``corrected``, ``added``), the claim as the reviewer left it,
the claim as the pipeline gave it, a digest of the article's body, who and when.

Why SQLite: each decision is one transaction (``INSERT OR REPLACE``), so two browser tabs
on one file never lose a decision and the last decision per claim wins, and a crash
mid-write leaves the previous state; a CSV would have to be rewritten whole per click.

The file records its corpus (a path relative to the file's folder, so a project folder
can move) and refuses another corpus. A review whose span no longer shows its surface in
the article is re-anchored when the surface is found exactly once elsewhere in the body,
and is otherwise an orphan: listed by ``claims review --orphans``, never silently dropped.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from .corpus import is_real_date
from .table import claims_frame, format_value

DECISIONS = ("confirmed", "corrected", "added", "rejected")
# the claim fields a review stores (ids are computed again by the table)
FIELDS = (
    "metric", "value", "unit", "qualifier", "date", "date_basis", "period_start", "surface",
    "sentence", "start", "end", "published", "location", "region",
)  # fmt: skip
EDITABLE = ("metric", "value", "unit", "qualifier", "date", "period_start", "location", "region")
QUALIFIERS = ("exact", "approx", "lower_bound", "upper_bound")
GOLD_COLUMNS = ["article_id", "metric", "value", "unit", "qualifier", "date", "period_start", "surface", "note"]
SCHEMA = 1
TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reviews (
    article_id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    surface TEXT NOT NULL, metric TEXT NOT NULL,
    decision TEXT NOT NULL, fields TEXT NOT NULL, original TEXT,
    body_digest TEXT NOT NULL, reviewer TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (article_id, start, "end", surface, metric)
);
"""


class ReviewError(ValueError):
    """A reviews file that cannot be used (another corpus's, not a reviews file); the
    message names the file and the problem."""


class InvalidReview(ValueError):
    """A decision that is refused; the message is the reason, shown in the page."""


Key = tuple  # (article_id, start, end, surface, metric)


@dataclass(frozen=True)
class Review:
    article_id: str
    start: int
    end: int
    surface: str
    metric: str
    decision: str
    fields: dict = field(default_factory=dict, compare=False)
    original: dict | None = field(default=None, compare=False)
    body_digest: str = ""
    reviewer: str = ""
    at: str = ""

    @property
    def key(self) -> Key:
        return (self.article_id, self.start, self.end, self.surface, self.metric)

    def claim(self) -> dict:
        """The claim as the reviewer left it, with its (possibly re-anchored) offsets."""
        out = dict(self.original or {})
        out.update(self.fields)
        out.update(article_id=self.article_id, start=self.start, end=self.end, surface=self.surface)
        return out


@dataclass(frozen=True)
class Orphan:
    review: Review
    reason: str


def body_digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def default_reviews_path(claims: str | os.PathLike) -> Path:
    """`reviews.sqlite` beside the claims table."""
    return Path(claims).parent / "reviews.sqlite"


def claim_key(row: Mapping) -> Key:
    return (str(row["article_id"]), int(row["start"]), int(row["end"]), str(row["surface"]), str(row["metric"]))


# -- the file -----------------------------------------------------------------------------------
def _corpus_abs(corpus: str | os.PathLike) -> str:
    text = str(corpus)
    return text.rstrip("/") if "://" in text else str(Path(text).resolve())


class ReviewStore:
    """The reviews file. Every write is one short transaction on its own connection, so
    threads of the web app and two tabs never step on each other; the last write wins."""

    def __init__(self, path: str | os.PathLike, corpus: str | os.PathLike, create: bool = True):
        self.path = Path(path)
        self.corpus = _corpus_abs(corpus)
        if not self.path.exists() and not create:
            raise FileNotFoundError(str(path))
        if self.path.is_dir():
            raise ReviewError(f"{path}: is a folder, not a reviews file")
        self._check(create)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.execute("PRAGMA busy_timeout = 30000")
        return con

    def _stored_corpus(self) -> str:
        """The corpus as written in the file: relative to the file's folder when local."""
        if "://" in self.corpus:
            return self.corpus
        return os.path.relpath(self.corpus, self.path.resolve().parent)

    def _resolve(self, stored: str) -> str:
        if "://" in stored:
            return stored
        return str((self.path.resolve().parent / stored).resolve())

    def _check(self, create: bool) -> None:
        existed = self.path.exists() and self.path.stat().st_size > 0
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = self._connect()
            try:
                tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if existed and not {"meta", "reviews"} <= tables:
                    raise ReviewError(f"{self.path}: not a reviews file (its tables are {', '.join(sorted(tables)) or 'none'}); give another --reviews")
                if not existed:
                    con.execute("PRAGMA journal_mode = WAL")
                    con.executescript(TABLES)
                    con.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
                    con.execute("INSERT OR IGNORE INTO meta VALUES ('corpus', ?)", (self._stored_corpus(),))
                meta = dict(con.execute("SELECT key, value FROM meta"))
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            raise ReviewError(f"{self.path}: not a reviews file ({exc}); give another --reviews") from None
        if meta.get("schema") != str(SCHEMA):
            raise ReviewError(f"{self.path}: reviews file of schema {meta.get('schema')!r}, this version reads {SCHEMA}")
        made_for = self._resolve(meta.get("corpus", ""))
        if made_for != self.corpus:
            raise ReviewError(f"{self.path}: reviews made for corpus {made_for}, not {self.corpus}")

    def all(self) -> list[Review]:
        con = self._connect()
        try:
            rows = con.execute(
                'SELECT article_id, start, "end", surface, metric, decision, fields, original, body_digest, reviewer, at '
                'FROM reviews ORDER BY article_id, start, "end", metric'
            ).fetchall()
        finally:
            con.close()
        out = []
        for r in rows:
            out.append(Review(*r[:6], fields=json.loads(r[6]), original=json.loads(r[7]) if r[7] else None, body_digest=r[8], reviewer=r[9], at=r[10]))
        return out

    def save(self, review: Review, replaces: Key | None = None) -> None:
        """Write one decision at once, atomically (one transaction); `replaces` is a key
        the decision supersedes (a re-anchored review), removed in the same transaction."""
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            if replaces is not None and replaces != review.key:
                con.execute('DELETE FROM reviews WHERE article_id=? AND start=? AND "end"=? AND surface=? AND metric=?', replaces)
            con.execute(
                "INSERT OR REPLACE INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*review.key, review.decision, json.dumps(review.fields, ensure_ascii=False, sort_keys=True),
                 json.dumps(review.original, ensure_ascii=False, sort_keys=True) if review.original is not None else None,
                 review.body_digest, review.reviewer, review.at),
            )  # fmt: skip
            con.execute("COMMIT")
        finally:
            con.close()

    def delete(self, key: Key) -> None:
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute('DELETE FROM reviews WHERE article_id=? AND start=? AND "end"=? AND surface=? AND metric=?', tuple(key))
            con.execute("COMMIT")
        finally:
            con.close()


def load_reviews(path: str | os.PathLike, corpus: str | os.PathLike) -> list[Review]:
    """The reviews of a file made for this corpus; [] when there is no file. ReviewError
    for another corpus's file or a file that is not a reviews file."""
    if not Path(path).exists():
        return []
    return ReviewStore(path, corpus, create=False).all()


# -- anchoring ----------------------------------------------------------------------------------
def _occurrences(body: str, surface: str) -> list[int]:
    out, i = [], body.find(surface)
    while i != -1 and surface:
        out.append(i)
        i = body.find(surface, i + 1)
    return out


def anchor(reviews: Iterable[Review], bodies: Mapping[str, str]) -> tuple[list[Review], list[tuple[Key, Review]], list[Orphan]]:
    """Reviews whose span still shows their surface (as stored, or re-anchored when the
    surface is found exactly once elsewhere in the article), the re-anchored ones among
    them (old key, new review), and the orphans with the reason."""
    kept, moved, orphans = [], [], []
    for r in reviews:
        body = bodies.get(r.article_id)
        if body is None:
            orphans.append(Orphan(r, "article not in the corpus"))
            continue
        if body[r.start : r.end] == r.surface:
            kept.append(r)
            continue
        changed = "article changed" if body_digest(body) != r.body_digest else "span does not match"
        found = _occurrences(body, r.surface)
        if len(found) == 1:
            start = found[0]
            end = start + len(r.surface)
            fields = dict(r.fields, start=start, end=end) if "start" in r.fields else dict(r.fields)
            original = dict(r.original, start=start, end=end) if r.original else r.original
            new = replace(r, start=start, end=end, fields=fields, original=original, body_digest=body_digest(body))
            kept.append(new)
            moved.append((r.key, new))
            continue
        where = f"found {len(found)} times" if found else "not found"
        orphans.append(Orphan(r, f"{changed}: {r.surface!r} is no longer at {r.start}-{r.end} ({where} in the article)"))
    return kept, moved, orphans


def reanchor_store(store: ReviewStore, bodies: Mapping[str, str]) -> tuple[list[Review], list[Orphan], int]:
    """Anchor the file's reviews and write the re-anchored ones back under their new key."""
    kept, moved, orphans = anchor(store.all(), bodies)
    for old_key, new in moved:
        store.save(new, replaces=old_key)
    return kept, orphans, len(moved)


# -- the table ----------------------------------------------------------------------------------
def row_fields(row: Mapping) -> dict:
    out = {}
    for k in FIELDS:
        v = row.get(k, "")
        out[k] = int(v) if k in ("start", "end") else (format_value(v) if k == "value" and str(v) != "" else str(v))
    return out


def apply_reviews(df: pd.DataFrame, reviews: Iterable[Review], bodies: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The claims table with reviews applied: rejected claims leave it, corrections
    replace fields, added claims join it, and column `review` says which (`confirmed`,
    `corrected`, `added`, or empty). A confirmed or corrected claim the pipeline no longer
    gives stays in the table as reviewed. With `bodies`, reviews are anchored first and
    orphans are left out (see `anchor`)."""
    reviews = list(reviews)
    if bodies is not None:
        reviews, _, _ = anchor(reviews, bodies)
    by_key = {r.key: r for r in reviews}
    if not by_key:
        out = df.copy()
        out["review"] = ""
        return out
    rows, seen = [], set()
    for row in df.to_dict("records"):
        rec = {k: row.get(k, "") for k in row}
        r = by_key.get(claim_key(rec))
        rec["review"] = ""
        if r is not None:
            seen.add(r.key)
            if r.decision == "rejected":
                continue
            if r.decision in ("corrected", "added"):
                rec.update(r.fields)
            rec["review"] = r.decision
        rows.append(rec)
    for key, r in by_key.items():
        if key in seen or r.decision == "rejected":
            continue
        rows.append(dict(r.claim(), review=r.decision))
    return claims_frame(rows)


def raw_view(df: pd.DataFrame, reviews: Iterable[Review]) -> pd.DataFrame:
    """The pipeline's claims back from a table that had reviews applied: added rows out,
    corrected rows as the pipeline gave them, rejected claims back in."""
    reviews = list(reviews)
    if "review" not in df.columns or not (df["review"].astype(str) != "").any():
        return df
    corrected: dict[tuple, list[Review]] = {}
    for r in reviews:
        if r.decision == "corrected" and r.original:
            corrected.setdefault(r.key[:4], []).append(r)
    rows, keys = [], set()
    for row in df.to_dict("records"):
        if row.get("review") == "added":
            continue
        if row.get("review") == "corrected":
            match = [r for r in corrected.get(claim_key(row)[:4], []) if r.claim().get("metric") == row["metric"]]
            if match:
                row = dict(match[0].original, article_id=row["article_id"])
        rows.append(row)
        keys.add(claim_key(row))
    for r in reviews:
        if r.decision == "rejected" and r.original and r.key not in keys:
            rows.append(dict(r.original, article_id=r.article_id, start=r.start, end=r.end, surface=r.surface, metric=r.metric))
            keys.add(r.key)
    out = claims_frame(rows)
    out["review"] = ""
    return out


# -- gold -----------------------------------------------------------------------------------------
def reviewed_articles(raw: pd.DataFrame, reviews: Iterable[Review]) -> list[str]:
    """Articles whose every claim (metric `other` aside) has a decision, and at least one."""
    reviews = list(reviews)
    keys = {r.key for r in reviews}
    with_reviews = {r.article_id for r in reviews}
    open_ = {claim_key(row)[0] for row in raw.to_dict("records") if row["metric"] != "other" and claim_key(row) not in keys}
    return sorted(with_reviews - open_)


def gold_table(raw: pd.DataFrame, reviews: Iterable[Review]) -> pd.DataFrame:
    """The fully reviewed articles as a gold file (the contract's columns, `note` the
    decision): confirmed and added claims as they are, corrected ones as corrected,
    rejected ones left out."""
    reviews = list(reviews)
    done = set(reviewed_articles(raw, reviews))
    rows = []
    for r in reviews:
        if r.article_id not in done or r.decision == "rejected":
            continue
        c = r.claim()
        if c.get("metric") == "other":
            continue
        rows.append({**{k: c.get(k, "") for k in GOLD_COLUMNS[:-1]}, "note": r.decision, "_start": r.start})
    rows.sort(key=lambda x: (x["article_id"], x["_start"], x["metric"]))
    out = pd.DataFrame([{k: x[k] for k in GOLD_COLUMNS} for x in rows], columns=GOLD_COLUMNS)
    out["value"] = [format_value(v) for v in out["value"]]
    return out


# -- checking a decision --------------------------------------------------------------------------
@dataclass(frozen=True)
class Vocabulary:
    """What a correction may say: the taxonomy's metrics and their units' kinds."""

    metric_units: Mapping[str, str]  # metric id -> canonical unit
    unit_kinds: Mapping[str, str]  # unit id -> kind

    @classmethod
    def load(cls, models_dir: str | os.PathLike | None = None) -> "Vocabulary":
        from .domain import load_domain

        domain = load_domain(models_dir)
        units: dict[str, str] = {}
        for m in domain.metrics:
            units.setdefault(m.id, m.unit)
        return cls(metric_units=units, unit_kinds=dict(domain.unit_kinds))


def check_fields(fields: Mapping, vocab: Vocabulary) -> dict:
    """The editable fields of a correction or an added claim, cleaned; InvalidReview with
    the reason for a bad one (an unknown metric, a value that is no number or negative, a
    unit not of the metric's kind, a date that is not ISO 8601 on the calendar...)."""
    out = {}
    metric = str(fields.get("metric", "")).strip()
    if metric not in vocab.metric_units and metric != "other":
        raise InvalidReview(f"metric {metric!r} is not in the taxonomy (models/taxonomy.yaml)" if metric else "metric is empty: choose one")
    out["metric"] = metric
    raw_value = str(fields.get("value", "")).strip().replace(",", "")
    try:
        value = float(raw_value)
    except ValueError:
        raise InvalidReview(f"value {fields.get('value')!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidReview(f"value {fields.get('value')!r} is not a finite number")
    if value < 0:
        raise InvalidReview(f"value {format_value(value)} is negative: counts, areas, shares and money are never below 0")
    out["value"] = format_value(value)
    unit = str(fields.get("unit", "")).strip().lower() or vocab.metric_units.get(metric, "count")
    if unit not in vocab.unit_kinds:
        raise InvalidReview(f"unit {unit!r} is not a known unit (models/units.yaml)")
    want = vocab.metric_units.get(metric)
    if want and vocab.unit_kinds.get(want) != vocab.unit_kinds[unit]:
        raise InvalidReview(f"unit {unit!r} is not a unit of {vocab.unit_kinds.get(want)}, which {metric} counts (in {want})")
    if vocab.unit_kinds[unit] == "percent" and value > 100:
        raise InvalidReview(f"value {out['value']} is more than 100 percent")
    out["unit"] = unit
    qualifier = str(fields.get("qualifier", "exact")).strip() or "exact"
    if qualifier not in QUALIFIERS:
        raise InvalidReview(f"qualifier {qualifier!r} is not one of {', '.join(QUALIFIERS)}")
    out["qualifier"] = qualifier
    for name in ("date", "period_start"):
        text = str(fields.get(name, "")).strip()
        if (text or name == "date") and not is_real_date(text):
            raise InvalidReview(f"{name} {text!r} is not an ISO 8601 date on the calendar (YYYY, YYYY-MM or YYYY-MM-DD)")
        out[name] = text
    if out["period_start"] and out["period_start"][:10] > out["date"][: len(out["period_start"])]:
        raise InvalidReview(f"period_start {out['period_start']} is after date {out['date']}")
    for name in ("location", "region"):
        text = str(fields.get(name, "")).strip()
        if len(text) > 200 or any(ord(ch) < 32 for ch in text):
            raise InvalidReview(f"{name} must be one line of at most 200 characters")
        out[name] = text
    return out


def sentence_around(body: str, start: int, end: int) -> str:
    """The sentence holding body[start:end]: from the end of the previous sentence (a
    full stop, question or exclamation mark and a space, or a line break) to the next."""
    left = start
    while left > 0:
        ch = body[left - 1]
        if ch == "\n" or (ch == " " and left >= 2 and body[left - 2] in ".!?"):
            break
        left -= 1
    right = end
    while right < len(body) and body[right] != "\n" and not (body[right] in ".!?" and (right + 1 >= len(body) or body[right + 1] in " \n")):
        right += 1
    if right < len(body) and body[right] in ".!?":
        right += 1
    return body[left:right].strip()


def decide(
    store: ReviewStore,
    raw_claims: Mapping[Key, dict],
    bodies: Mapping[str, str],
    published: Mapping[str, str],
    vocab: Vocabulary,
    payload: Mapping,
    reviewer: str,
    current: Mapping[Key, Review] | None = None,
) -> Review | None:
    """Check and store one decision from the page; returns the stored review (None when
    the decision was cleared). InvalidReview with the reason when it is refused."""
    decision = str(payload.get("decision", ""))
    if decision not in (*DECISIONS, "clear"):
        raise InvalidReview(f"decision {decision!r} is not one of confirmed, rejected, corrected, added, clear")
    k = payload.get("key") or {}
    try:
        key: Key = (str(k["article_id"]), int(k["start"]), int(k["end"]), str(k["surface"]), str(k["metric"]))
    except (KeyError, TypeError, ValueError):
        if decision != "added":
            raise InvalidReview("the claim's key (article_id, start, end, surface, metric) is missing") from None
        key = ()
    current = current or {}
    body = bodies.get(key[0] if key else str((payload.get("fields") or {}).get("article_id", "")))
    if decision == "clear":
        store.delete(key)
        return None
    if decision == "added":
        f = dict(payload.get("fields") or {})
        aid = str(f.get("article_id", ""))
        if aid not in bodies:
            raise InvalidReview(f"article {aid!r} is not in the corpus")
        body = bodies[aid]
        try:
            start, end = int(f["start"]), int(f["end"])
        except (KeyError, TypeError, ValueError):
            raise InvalidReview("select the figure in the article first") from None
        if not (0 <= start < end <= len(body)):
            raise InvalidReview(f"offsets {start}-{end} are outside the article")
        surface = body[start:end]
        if "surface" in f and str(f["surface"]) != surface:
            raise InvalidReview(f"the selection {f['surface']!r} is not the article's text at {start}-{end}")
        if surface != surface.strip() or not surface.strip():
            raise InvalidReview("the selection starts or ends with a space; select the figure only")
        fields = check_fields(f, vocab)
        fields.update(
            surface=surface, start=start, end=end, sentence=sentence_around(body, start, end),
            published=published.get(aid, ""),
        )  # fmt: skip
        fields["date_basis"] = "published" if fields["date"] == published.get(aid, "") else "stated"
        review = Review(aid, start, end, surface, fields["metric"], "added", fields, None, body_digest(body), reviewer, now())
        store.save(review, replaces=key or None)
        return review
    if body is None:
        raise InvalidReview(f"article {key[0]!r} is not in the corpus")
    original = raw_claims.get(key)
    before = current.get(key)
    if original is None and before is not None:
        original = before.original
    if original is None:
        if before is not None and before.decision == "added" and decision in ("corrected", "confirmed"):
            fields = check_fields({**before.fields, **(payload.get("fields") or {})}, vocab) if decision == "corrected" else {}
            merged = dict(before.fields, **fields)
            merged["date_basis"] = "published" if merged["date"] == merged.get("published") else "stated"
            review = Review(*key[:4], merged["metric"], "added", merged, None, body_digest(body), reviewer, now())
            store.save(review, replaces=key)
            return review
        raise InvalidReview("no such claim in the table (re-run claims extract, then reload)")
    fields: dict = {}
    if decision == "corrected":
        edits = {**{k: original.get(k, "") for k in EDITABLE}, **{k: v for k, v in (payload.get("fields") or {}).items() if k in EDITABLE}}
        fields = check_fields(edits, vocab)
        if fields["date"] != original.get("date"):
            fields["date_basis"] = "published" if fields["date"] == original.get("published") else "stated"
        changed = {k: v for k, v in fields.items() if str(original.get(k, "")) != str(v)}
        if not changed:
            decision, fields = "confirmed", {}
        else:
            fields = changed
    review = Review(*key, decision, fields, dict(original), body_digest(body), reviewer, now())
    store.save(review)
    return review


# -- commands -------------------------------------------------------------------------------------
@dataclass
class Applied:
    """What applying reviews did to a table, for the summary line."""

    counts: dict = field(default_factory=dict)
    orphans: list = field(default_factory=list)
    reanchored: int = 0

    def __str__(self) -> str:
        parts = [f"{self.counts.get(d, 0)} {d}" for d in DECISIONS]
        extra = f", {self.reanchored} re-anchored" if self.reanchored else ""
        return ", ".join(parts) + extra + (f", {len(self.orphans)} orphaned" if self.orphans else "")


def corpus_bodies(corpus: str | os.PathLike, article_ids: Iterable[str] | None = None) -> dict[str, str]:
    """The bodies of the corpus's readable articles (only `article_ids` when given)."""
    from .corpus import CorpusError, corpus_files, read_article
    from .storage import name_of

    wanted = set(article_ids) if article_ids is not None else None
    out = {}
    for path in corpus_files(corpus):
        aid = name_of(path).removesuffix(".txt")
        if wanted is not None and aid not in wanted:
            continue
        try:
            out[aid] = read_article(path).body
        except CorpusError:
            continue
    return out


def apply_with_corpus(df: pd.DataFrame, reviews: list[Review], corpus: str | os.PathLike) -> tuple[pd.DataFrame, Applied]:
    """apply_reviews, with the reviewed articles read from the corpus to anchor the reviews."""
    bodies = corpus_bodies(corpus, {r.article_id for r in reviews})
    kept, moved, orphans = anchor(reviews, bodies)
    counts: dict[str, int] = {}
    for r in kept:
        counts[r.decision] = counts.get(r.decision, 0) + 1
    return apply_reviews(df, kept), Applied(counts, orphans, len(moved))


def orphan_lines(path: str | os.PathLike, corpus: str | os.PathLike) -> list[str]:
    """One line per orphaned review: article, span, surface, metric, decision, who, when, why."""
    if not Path(path).exists():
        raise ReviewError(f"{path}: reviews file not found")
    reviews = load_reviews(path, corpus)
    _, _, orphans = anchor(reviews, corpus_bodies(corpus, {r.article_id for r in reviews}))
    lines = []
    for o in orphans:
        r = o.review
        lines.append(f"{r.article_id}\t{r.start}-{r.end}\t{r.surface!r}\t{r.metric}\t{r.decision} by {r.reviewer} at {r.at}\t{o.reason}")
    return lines


def export_gold(claims: str | os.PathLike, path: str | os.PathLike, corpus: str | os.PathLike, out: str | os.PathLike) -> tuple[int, int]:
    """Write the fully reviewed articles of `claims` as a gold CSV (atomically); returns the
    number of articles and claims written."""
    from .storage import write_atomic
    from .table import read_claims

    if not Path(path).exists():
        raise ReviewError(f"{path}: reviews file not found")
    reviews = load_reviews(path, corpus)
    try:
        table = read_claims(claims)
    except FileNotFoundError:
        raise ReviewError(f"{claims}: claims file not found; run claims extract first") from None
    except (OSError, ValueError) as exc:
        raise ReviewError(f"{claims}: claims file cannot be read ({exc})") from None
    kept, _, _ = anchor(reviews, corpus_bodies(corpus, {r.article_id for r in reviews}))
    gold = gold_table(raw_view(table, kept), kept)
    write_atomic(out, gold.to_csv(index=False, lineterminator="\n"))
    return int(gold["article_id"].nunique()), len(gold)
