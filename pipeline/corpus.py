"""Corpus files: YAML front matter, then the body exactly as published.

The only code that knows the file format. Offsets in the claims table count from the
first character of the body (the line after the closing ``---``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator

import yaml

from .storage import list_files, name_of, read_bytes

PUBLISHED = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
FRONT_OPEN = "---\n"
FRONT_CLOSE = re.compile(r"^---[ \t]*$", re.M)


class CorpusError(ValueError):
    """A corpus file that cannot be read; the message names the file and the problem."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True)
class Article:
    article_id: str
    body: str
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def published(self) -> str:
        return self.meta.get("published", "")


def normalize_published(value: object, where: str | Path = "") -> str:
    """ISO 8601 at day, month or year precision; a timestamp keeps its date part."""
    text = str(value).strip().strip("'\"")
    text = re.split(r"[T ]", text, maxsplit=1)[0] if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", text) else text
    m = PUBLISHED.match(text)
    if not m:
        raise CorpusError(where, f"published {value!r} is not an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = m.group(1), m.group(2), m.group(3)
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise CorpusError(where, f"published {value!r} is not a real date") from None
    return text


def parse_article(text: str, article_id: str, where: str | Path = "") -> Article:
    """Split a corpus file's text into front matter and body, and validate both."""
    where = where or article_id
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.startswith(FRONT_OPEN):
        raise CorpusError(where, "no front matter: the file must start with a line '---'")
    close = FRONT_CLOSE.search(text, len(FRONT_OPEN))
    if close is None:
        raise CorpusError(where, "front matter is not closed by a line '---'")
    raw_meta = text[len(FRONT_OPEN) : close.start()]
    body = text[close.end() + 1 :] if close.end() < len(text) else ""
    try:
        meta = yaml.load(raw_meta, Loader=yaml.BaseLoader) if raw_meta.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 2})" if mark else ""
        raise CorpusError(where, f"broken front matter{line}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(meta, dict):
        raise CorpusError(where, "front matter must be 'key: value' lines")
    meta = {str(k): v if isinstance(v, str) else str(v) for k, v in meta.items()}
    if not meta.get("published", "").strip():
        raise CorpusError(where, "front matter has no 'published' date")
    meta["published"] = normalize_published(meta["published"], where)
    if not body.strip():
        raise CorpusError(where, "empty body")
    return Article(article_id=article_id, body=body, meta=meta)


def read_article(path: str | Path) -> Article:
    """Read one corpus file (a path or an fsspec URL); raises CorpusError naming the file
    and the problem."""
    try:
        data = read_bytes(path)
    except IsADirectoryError:
        raise CorpusError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise CorpusError(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(path, f"not UTF-8 (invalid byte at offset {exc.start})") from None
    return parse_article(text, name_of(path).removesuffix(".txt"), path)


def corpus_files(corpus_dir: str | Path) -> list:
    """The article files of a corpus folder (a path or an fsspec URL), in a stable order."""
    files = list_files(corpus_dir, ".txt")
    if files is None:
        raise CorpusError(corpus_dir, "corpus folder not found")
    return files


def iter_files(files: Iterable[str | Path]) -> Iterator[Article | CorpusError]:
    """Each file's article, or the error that stops one: a bad file never stops the rest."""
    for path in files:
        try:
            yield read_article(path)
        except CorpusError as exc:
            yield exc


def iter_corpus(corpus_dir: str | Path) -> Iterator[Article | CorpusError]:
    """Every article of a folder (see iter_files)."""
    return iter_files(corpus_files(corpus_dir))


def format_article(article: Article) -> str:
    """The corpus file text of an article: front matter (published first), then the body."""
    meta = dict(article.meta)
    ordered = {"published": meta.pop("published", "")}
    ordered.update(meta)
    front = yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, default_style=None, width=10**6)
    return f"{FRONT_OPEN}{front}---\n{article.body}"
