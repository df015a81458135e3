"""Results cached per article, so a regeneration redoes only what changed.

An SQLite file (outputs/cache.sqlite by default). A result is keyed by everything it
depends on: the article's id, body and metadata, the hash of models/, the package version,
a hash of the pipeline's source code, and whether `other` rows are kept. A file that is
not our cache, or is damaged, is never trusted: it is set aside with a warning and a new
one is built.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from functools import lru_cache
from pathlib import Path

from . import __version__
from .corpus import Article

SCHEMA = "mine-claims-cache/1"


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A hash of the pipeline's own source: a result made by other code is not reused, even
    when a checkout changed the code without changing the version."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


class ResultCache:
    def __init__(self, path: str | Path, models_digest: str, keep_other: bool):
        self.path = Path(path)
        self.salt = f"{SCHEMA}|{__version__}|{code_digest()}|{models_digest}|{int(keep_other)}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path)
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, rows TEXT)")
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                if db.execute("SELECT COUNT(*) FROM results").fetchone()[0]:
                    raise sqlite3.DatabaseError("results without a schema marker")
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
                db.commit()
            elif row[0] != SCHEMA:
                raise sqlite3.DatabaseError(f"schema {row[0]!r}")
            db.execute("PRAGMA quick_check").fetchone()
            return db
        except sqlite3.DatabaseError as exc:
            try:
                db.close()
            except Exception:
                pass
            aside = self.path.with_suffix(self.path.suffix + ".bad")
            print(f"claims: {self.path}: not a usable cache ({exc}); moved to {aside.name} and rebuilt", file=sys.stderr)
            self.path.replace(aside)
            return self._open()

    def key(self, article: Article) -> str:
        meta = json.dumps(article.meta, sort_keys=True, ensure_ascii=False)
        h = hashlib.sha256()
        for part in (self.salt, article.article_id, meta, article.body):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.hexdigest()

    def get(self, article: Article) -> list[dict] | None:
        row = self.db.execute("SELECT rows FROM results WHERE key = ?", (self.key(article),)).fetchone()
        if row is None:
            return None
        try:
            return json.loads(row[0])
        except ValueError:
            return None

    def put(self, article: Article, rows: list[dict]) -> None:
        self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?)", (self.key(article), json.dumps(rows, ensure_ascii=False)))

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.commit()
        self.db.close()
