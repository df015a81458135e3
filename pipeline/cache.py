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


OURS = {"meta", "results"}


def _warn(message: str) -> None:
    print(f"claims: {message}", file=sys.stderr)


def aside_name(path: Path) -> Path:
    """A free name beside `path` to set a file aside: an earlier one is never replaced."""
    n = 0
    while True:
        aside = path.with_name(f"{path.name}.bad" + (f".{n}" if n else ""))
        if not aside.exists():
            return aside
        n += 1


class ResultCache:
    """The cache never stops a run and never damages a file: a file that is not ours
    (another program's SQLite file, damaged pages, a newer schema) is set aside under a
    free name and a new one is built; a cache that cannot be written (read-only file or
    folder, full disk) is left as it is and the run goes on without it, with one warning."""

    def __init__(self, path: str | Path, models_digest: str, keep_other: bool):
        self.path = Path(path)
        self.salt = f"{SCHEMA}|{__version__}|{code_digest()}|{models_digest}|{int(keep_other)}"
        self.db: sqlite3.Connection | None = self._open()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables - OURS:
                raise sqlite3.DatabaseError(f"another program's database (tables {', '.join(sorted(tables - OURS)[:3])})")
            check = db.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                said = [line for line in str(check[0] if check else "no answer").splitlines() if not line.startswith("***")]
                more = f" and {len(said) - 1} more problems" if len(said) > 1 else ""
                raise sqlite3.DatabaseError(f"damaged pages: {said[0] if said else 'quick_check failed'}{more}")
            if "meta" in tables:
                row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if row is None or row[0] != SCHEMA:
                    raise sqlite3.DatabaseError(f"schema {row[0] if row else None!r}")
            elif "results" in tables:
                raise sqlite3.DatabaseError("results without a schema marker")
            else:
                db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
                db.execute("CREATE TABLE results (key TEXT PRIMARY KEY, rows TEXT)")
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
                db.commit()
            return db
        except BaseException:
            db.close()
            raise

    def _open(self) -> sqlite3.Connection | None:
        try:
            if self.path.exists() and not self.path.is_file():
                _warn(f"{self.path}: not a regular file; running without the cache")
                return None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                return self._connect()
            except sqlite3.OperationalError as exc:
                if "readonly" in str(exc) or "unable to open" in str(exc):
                    raise OSError(str(exc)) from None
                raise sqlite3.DatabaseError(str(exc)) from None
            except sqlite3.DatabaseError as exc:
                aside = aside_name(self.path)
                self.path.replace(aside)
                _warn(f"{self.path}: not a usable cache ({exc}); moved to {aside.name} and rebuilt")
                return self._connect()
        except (OSError, sqlite3.Error) as exc:
            _warn(f"{self.path}: cache cannot be used ({exc}); running without the cache")
            return None

    def _failed(self, exc: Exception) -> None:
        _warn(f"{self.path}: cache cannot be written ({exc}); running on without the cache")
        try:
            self.db.close()  # type: ignore[union-attr]
        except sqlite3.Error:
            pass
        self.db = None

    def key(self, article: Article) -> str:
        meta = json.dumps(article.meta, sort_keys=True, ensure_ascii=False)
        h = hashlib.sha256()
        for part in (self.salt, article.article_id, meta, article.body):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.hexdigest()

    def get(self, article: Article) -> list[dict] | None:
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT rows FROM results WHERE key = ?", (self.key(article),)).fetchone()
        except sqlite3.Error as exc:
            self._failed(exc)
            return None
        if row is None:
            return None
        try:
            return json.loads(row[0])
        except ValueError:
            return None

    def put(self, article: Article, rows: list[dict]) -> None:
        if self.db is None:
            return
        try:
            self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?)", (self.key(article), json.dumps(rows, ensure_ascii=False)))
        except sqlite3.Error as exc:
            self._failed(exc)

    def commit(self) -> None:
        if self.db is None:
            return
        try:
            self.db.commit()
        except sqlite3.Error as exc:
            self._failed(exc)

    def close(self) -> None:
        self.commit()
        if self.db is not None:
            self.db.close()
            self.db = None
