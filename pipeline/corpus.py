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

from .storage import NotRegularFile, TooLarge, list_files, name_of, read_bytes

PUBLISHED = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
FRONT_OPEN = "---\n"
# the most bytes a corpus or input file may hold: more is not an article (a device, a dump)
MAX_BYTES = 20 * 1024 * 1024
FRONT_CLOSE = re.compile(r"^---[ \t]*$", re.M)


class CorpusError(ValueError):
    """A corpus file that cannot be read; the message names the file and the problem."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{shown(path)}: {problem}")


@dataclass(frozen=True)
class Article:
    article_id: str
    body: str
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def published(self) -> str:
        return self.meta.get("published", "")


def shown(text: object) -> str:
    """Text safe to print and to write as UTF-8: bytes a file name or an argument held that
    are not UTF-8 appear as escapes (caf\\udce9), never as a crash."""
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")


def is_real_date(text: str) -> bool:
    """An ISO 8601 date at day, month or year precision that exists on the calendar (no
    2024-02-30, no 2024-13, no year 0000); ASCII digits only."""
    m = PUBLISHED.match(str(text).strip())
    if not m:
        return False
    try:
        date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return False
    return True


def normalize_published(value: object, where: str | Path = "") -> str:
    """ISO 8601 at day, month or year precision; a timestamp keeps its date part."""
    text = str(value).strip().strip("'\"")
    text = re.split(r"[T ]", text, maxsplit=1)[0] if re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]", text) else text
    if not PUBLISHED.match(text):
        raise CorpusError(where, f"published {shown(repr(value))} is not an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD)")
    if not is_real_date(text):
        raise CorpusError(where, f"published {shown(repr(value))} is not a real date")
    return text


def front_matter_problem(raw: str) -> str | None:
    """What makes front matter unsafe or not plain 'key: value' text, read from the YAML
    event stream (which never expands aliases and never recurses): anchors and aliases
    (an alias bomb costs minutes and gigabytes to expand), and lists or mappings as values
    (deep nesting overflows the stack)."""
    depth = 0
    key: str | None = None
    expect_key = True
    events = list(yaml.parse(raw, Loader=yaml.BaseLoader))  # broken syntax is reported first
    for event in events:
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return "front matter uses YAML anchors or aliases (& or *); write plain 'key: value' lines"
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > 1:
                what = "a list" if isinstance(event, yaml.SequenceStartEvent) else "a mapping"
                return f"front matter value of {key!r} is {what}; values must be plain text" if key else "front matter keys must be plain text"
            if isinstance(event, yaml.SequenceStartEvent):
                return "front matter must be 'key: value' lines, not a list"
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent) and depth == 1:
            if expect_key:
                key = event.value
            expect_key = not expect_key
    return None


def text_problem(meta: dict[str, str]) -> str | None:
    """A value UTF-8 cannot encode (a lone surrogate such as "\\ud800"): it would crash
    every later write of the table."""
    for k, v in meta.items():
        for part in (k, v):
            try:
                part.encode("utf-8")
            except UnicodeEncodeError:
                return f"front matter {shown(repr(k))} holds text UTF-8 cannot encode ({shown(repr(part))})"
    return None


def parse_article(text: str, article_id: str, where: str | Path = "", need_published: bool = True) -> Article:
    """Split a corpus file's text into front matter and body, and validate both.

    Line endings are read as Python's text mode reads them (CRLF and CR become LF), so
    offsets agree with any reader that opens the file as text."""
    where = where or article_id
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.startswith(FRONT_OPEN):
        raise CorpusError(where, "no front matter: the file must start with a line '---'")
    close = FRONT_CLOSE.search(text, len(FRONT_OPEN))
    if close is None:
        raise CorpusError(where, "front matter is not closed by a line '---'")
    raw_meta = text[len(FRONT_OPEN) : close.start()]
    body = text[close.end() + 1 :] if close.end() < len(text) else ""
    try:
        problem = front_matter_problem(raw_meta)
        if problem:
            raise CorpusError(where, problem)
        meta = yaml.load(raw_meta, Loader=yaml.BaseLoader) if raw_meta.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 2})" if mark else ""
        raise CorpusError(where, f"broken front matter{line}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(meta, dict):
        raise CorpusError(where, "front matter must be 'key: value' lines")
    meta = {str(k): v if isinstance(v, str) else str(v) for k, v in meta.items()}
    problem = text_problem(meta)
    if problem:
        raise CorpusError(where, problem)
    if meta.get("published", "").strip():
        meta["published"] = normalize_published(meta["published"], where)
    elif need_published:
        raise CorpusError(where, "front matter has no 'published' date")
    if not body.strip():
        raise CorpusError(where, "empty body")
    return Article(article_id=article_id, body=body, meta=meta)


def read_article(path: str | Path) -> Article:
    """Read one corpus file (a path or an fsspec URL); raises CorpusError naming the file
    and the problem."""
    if shown(name_of(path)) != name_of(path):
        raise CorpusError(path, "file name is not UTF-8; rename the file")
    try:
        data = read_bytes(path, MAX_BYTES)
    except IsADirectoryError:
        raise CorpusError(path, "is a directory, not a file") from None
    except NotRegularFile as exc:
        raise CorpusError(path, f"not a regular file ({exc.kind}); skipped") from None
    except TooLarge:
        raise CorpusError(path, f"larger than {MAX_BYTES} bytes; not an article") from None
    except OSError as exc:
        raise CorpusError(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(path, f"not UTF-8 (invalid byte at offset {exc.start})") from None
    return parse_article(text, name_of(path).removesuffix(".txt"), path)


def corpus_files(corpus_dir: str | Path) -> list:
    """The article files of a corpus folder (a path or an fsspec URL), in a stable order."""
    try:
        files = list_files(corpus_dir, ".txt")
    except OSError as exc:
        raise CorpusError(corpus_dir, f"corpus folder cannot be read ({exc.strerror or exc})") from None
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
