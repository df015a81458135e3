"""Sources in, corpus files out: text files, saved web pages, URLs, standard input.

Every input becomes one corpus file in the contract's format (corpus.py), or one clear
error naming the input and the problem. The corpus is never damaged: a file is written
atomically and only if no file of that name exists; a failing input writes nothing.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import sys
import threading
import time
import unicodedata
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from .corpus import MAX_BYTES, Article, CorpusError, corpus_files, format_article, normalize_published, parse_article, read_article, shown
from .storage import TooLarge, read_bytes, write_atomic

TIMEOUT_S = 20.0
MAX_REDIRECTS = 5
MIN_HTML_WORDS = 8
TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
BINARY_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a zip archive",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}
SEED_HEADER = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*(.*)$")
HEADER_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
KNOWN_KEYS = ("title", "outlet", "published", "url", "author", "date")


class IngestError(ValueError):
    """An input that cannot become a corpus file; names the input and the problem."""

    def __init__(self, source: str, problem: str):
        self.source = source
        self.problem = problem
        super().__init__(f"{shown(source)}: {problem}")


@dataclass
class IngestResult:
    added: list[tuple[str, str]] = field(default_factory=list)  # (source, article_id)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (source, existing id)
    failed: list[IngestError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.duplicates


# -- reading a source --------------------------------------------------------------------
class _LimitedRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS
    max_repeats = 1


def fetch(url: str, timeout: float = TIMEOUT_S, max_bytes: int = MAX_BYTES) -> tuple[bytes, str]:
    """GET a URL with a size cap and few redirects; (body, content type). `timeout` bounds
    the whole fetch, not each read: a server that drips a byte a second is cut off too."""
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["result"] = _fetch(url, time.monotonic() + timeout, timeout, max_bytes)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = exc

    # a daemon thread: a server that never finishes its headers cannot hold the call
    thread = threading.Thread(target=work, name="ingest-fetch", daemon=True)
    thread.start()
    thread.join(timeout + 1.0)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    if "result" not in box:
        raise IngestError(url, f"no complete answer within {timeout:g} s (timed out)")
    return box["result"]  # type: ignore[return-value]


def _fetch(url: str, deadline: float, timeout: float, max_bytes: int) -> tuple[bytes, str]:
    def timed_out() -> IngestError:
        return IngestError(url, f"no complete answer within {timeout:g} s (timed out)")

    opener = urllib.request.build_opener(_LimitedRedirects())
    request = urllib.request.Request(url, headers={"User-Agent": "mine-claims ingest", "Accept": "text/html, text/plain"})
    try:
        with opener.open(request, timeout=timeout) as resp:
            ctype = resp.headers.get_content_type()
            if ctype not in TEXT_TYPES:
                raise IngestError(url, f"content type {ctype} is not a web page or text")
            chunks: list[bytes] = []
            size = 0
            while size <= max_bytes:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise timed_out()
                sock = getattr(getattr(resp, "fp", None), "raw", None)
                sock = getattr(sock, "_sock", None)
                if sock is not None:
                    sock.settimeout(left)
                chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > max_bytes:
                raise IngestError(url, f"larger than the size cap of {max_bytes} bytes")
            return b"".join(chunks), ctype
    except IngestError:
        raise
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            if "not allowed" in str(exc.reason):
                target = exc.headers.get("Location", "") if exc.headers else ""
                raise IngestError(url, f"redirects to {target or 'an address'} that is not a web address (HTTP {exc.code}); not followed") from None
            raise IngestError(url, f"too many redirects or a redirect loop (HTTP {exc.code})") from None
        raise IngestError(url, f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise timed_out() from None
        raise IngestError(url, f"cannot be fetched ({reason})") from None
    except TimeoutError:
        raise timed_out() from None
    except http.client.HTTPException as exc:
        raise IngestError(url, f"the server's answer is not HTTP ({type(exc).__name__})") from None
    except OSError as exc:
        raise IngestError(url, f"cannot be fetched ({exc})") from None


def read_source(source: str, stdin: BinaryIO | None, max_bytes: int) -> bytes:
    """The bytes of a file or of stdin, at most `max_bytes` counted as read: a device or a
    pipe (process substitution) is read up to the cap, never to the end."""
    if source == "-":
        data = (stdin or sys.stdin.buffer).read(max_bytes + 1)
        if len(data) > max_bytes:
            raise IngestError("<stdin>", f"larger than the size cap of {max_bytes} bytes")
        return data
    path = Path(source)
    if path.is_dir():
        raise IngestError(source, "is a directory, not a file")
    if not path.exists():
        raise IngestError(source, "not found")
    try:
        return read_bytes(path, max_bytes, regular_only=False)
    except TooLarge:
        size = path.stat().st_size if path.is_file() else 0
        said = f"{size} bytes is larger" if size else "larger"
        raise IngestError(source, f"{said} than the size cap of {max_bytes} bytes") from None
    except OSError as exc:
        raise IngestError(source, f"cannot be read ({exc.strerror or exc})") from None


def decode(data: bytes, source: str) -> str:
    """Bytes to text: binary refused, charset detected, BOM stripped, line endings to \\n."""
    for magic, what in BINARY_MAGIC.items():
        if data.startswith(magic):
            raise IngestError(source, f"binary file ({what}), not text")
    if b"\x00" in data[:4096]:
        raise IngestError(source, "binary file (NUL bytes), not text")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise IngestError(source, "not UTF-8 and not text in any charset that could be detected") from None
        text = str(best)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def is_html(source: str, text: str, ctype: str = "") -> bool:
    if ctype in ("text/html", "application/xhtml+xml") or Path(source).suffix.lower() in (".html", ".htm"):
        return True
    head = text.lstrip()[:200].lower()
    return head.startswith("<!doctype html") or head.startswith("<html")


def from_html(html: str, source: str) -> tuple[str, dict[str, str]]:
    """Main text and metadata of a web page; menus, related links and banners left out."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=False)
    data = doc.as_dict() if hasattr(doc, "as_dict") else (doc or {})
    text = (data.get("text") or "").strip()
    if len(text.split()) < MIN_HTML_WORDS:
        # trafilatura falls back to menus and titles when a page has no article
        raise IngestError(source, "no article text found in the HTML")
    meta = {}
    for ours, theirs in (("title", "title"), ("author", "author"), ("outlet", "sitename"), ("published", "date"), ("url", "url")):
        if data.get(theirs):
            meta[ours] = str(data[theirs]).strip()
    # the headline goes to `title`, as in every corpus file, not into the body
    first, _, rest = text.partition("\n")
    if meta.get("title") and first.strip() == meta["title"] and rest.strip():
        text = rest.strip()
    return text + "\n", meta


def split_header(text: str) -> tuple[str, dict[str, str]]:
    """A seed-style first line (' date 2023-05-27 Author') or a block of 'key: value'
    lines followed by a blank line; returns (body, metadata)."""
    first, _, rest = text.partition("\n")
    m = SEED_HEADER.match(first)
    if m:
        meta = {"published": m.group(1)}
        who = m.group(2).strip()
        if who and re.fullmatch(r"[^\W\d_][\w.'’ -]{1,60}", who) and ":" not in who and len(who.split()) <= 5:
            meta["author"] = who
        return rest, meta
    lines = text.split("\n")
    meta: dict[str, str] = {}
    for k, line in enumerate(lines):
        if not line.strip():
            if meta and any(key in meta for key in KNOWN_KEYS):
                if "date" in meta and "published" not in meta:
                    meta["published"] = meta.pop("date")
                return "\n".join(lines[k + 1 :]), meta
            break
        hm = HEADER_LINE.match(line)
        if not hm or (k == 0 and hm.group(1).lower() not in KNOWN_KEYS):
            break
        meta[hm.group(1).lower()] = hm.group(2)
    return text, {}


# -- identity ----------------------------------------------------------------------------
def body_hash(body: str) -> str:
    """The same text whatever its spacing."""
    return hashlib.sha1(" ".join(body.split()).encode("utf-8")).hexdigest()


def slugify(text: str, words: int = 6) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    parts = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(parts[:words])


def article_id_for(meta: dict[str, str], body: str) -> str:
    """Readable and unique: date, outlet or title words, and a short content hash."""
    label = slugify(meta.get("outlet", ""), 3) or slugify(meta.get("title", ""), 6) or slugify(body[:80], 5) or "article"
    return f"{meta['published']}_{label}_{body_hash(body)[:8]}"


def validate_published(value: str, source: str) -> str:
    try:
        iso = normalize_published(value, source)
    except CorpusError as exc:
        raise IngestError(source, exc.problem) from None
    if iso > date.today().isoformat()[: len(iso)]:
        raise IngestError(source, f"published {iso} is in the future")
    return iso


def check_overrides(values: dict[str, str | None]) -> dict[str, str]:
    """The metadata flags, checked once for the whole call: text UTF-8 can encode (an
    argument with bytes of another charset would crash every later write), a real date."""
    out = {}
    for key, value in values.items():
        value = value or ""
        if shown(value) != value:
            raise IngestError(f"--{key}", f"'{shown(value)}' is not UTF-8 text (bytes of another charset)")
        out[key] = value
    if out["published"]:
        try:
            out["published"] = normalize_published(out["published"], "--published")
        except CorpusError as exc:
            raise IngestError("--published", exc.problem) from None
    return out


# -- the whole step ----------------------------------------------------------------------
def load(source: str, overrides: dict[str, str], stdin: BinaryIO | None, timeout: float, max_bytes: int) -> Article:
    """One source as an Article, metadata merged: flags over file over extracted."""
    name = "<stdin>" if source == "-" else source
    extracted: dict[str, str] = {}
    if re.match(r"^https?://", source, re.I):
        data, ctype = fetch(source, timeout, max_bytes)
        text = decode(data, source)
        extracted["url"] = source
    else:
        data = read_source(source, stdin, max_bytes)
        ctype = ""
        text = decode(data, name)
    if not text.strip():
        raise IngestError(name, "empty: no text to ingest")
    stated: dict[str, str] = {}
    if text.startswith("---\n"):
        try:
            # a missing date may come from --published; checked below, after the merge
            art = parse_article(text, "x", name, need_published=False)
        except CorpusError as exc:
            raise IngestError(name, exc.problem) from None
        body, stated = art.body, dict(art.meta)
    elif is_html(source, text, ctype):
        body, extracted_html = from_html(text, name)
        extracted.update(extracted_html)
    else:
        body, stated = split_header(text)
    meta = {**extracted, **stated, **{k: v for k, v in overrides.items() if v}}
    if not body.strip():
        raise IngestError(name, "empty body: no text after the header")
    if not meta.get("published"):
        raise IngestError(name, "no published date in the input (give --published YYYY-MM-DD)")
    meta["published"] = validate_published(meta["published"], name)
    return Article(article_id=article_id_for(meta, body), body=body, meta=meta)


def ingest(
    sources: list[str],
    corpus_dir: str | Path = "corpus",
    published: str | None = None,
    title: str | None = None,
    outlet: str | None = None,
    url: str | None = None,
    author: str | None = None,
    stdin: BinaryIO | None = None,
    timeout: float = TIMEOUT_S,
    max_bytes: int = MAX_BYTES,
) -> IngestResult:
    """Add each source to the corpus; a failing source is reported and the others go on.
    Settings that spoil every source (a corpus that is a file, a bad --published) raise
    IngestError before any source is read."""
    corpus = Path(corpus_dir)
    overrides = check_overrides({"published": published, "title": title, "outlet": outlet, "url": url, "author": author})
    if timeout != timeout or timeout <= 0:
        raise IngestError("--timeout", f"{timeout!r} is not a number of seconds above 0")
    if max_bytes <= 0:
        raise IngestError("--max-bytes", f"{max_bytes!r} is not a number of bytes above 0")
    if corpus.exists() and not corpus.is_dir():
        raise IngestError(shown(corpus), "--corpus names a file, not a folder")
    try:
        corpus.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IngestError(shown(corpus), f"corpus folder cannot be made ({exc.strerror or exc})") from None
    known: dict[str, str] = {}
    try:
        existing = corpus_files(corpus)
    except CorpusError as exc:
        raise IngestError(shown(corpus), exc.problem) from None
    for path in existing:
        try:
            known[body_hash(read_article(path).body)] = path.stem
        except CorpusError:
            continue  # a broken corpus file is extract's to report, not ingest's
    result = IngestResult()
    for source in sources:
        name = "<stdin>" if source == "-" else source
        try:
            article = load(source, overrides, stdin, timeout, max_bytes)
            h = body_hash(article.body)
            if h in known:
                result.duplicates.append((name, known[h]))
                continue
            target = corpus / f"{article.article_id}.txt"
            if target.exists():
                raise IngestError(name, f"{target} already exists with other content; not overwritten")
            try:
                write_atomic(target, format_article(article), overwrite=False)
            except FileExistsError:
                raise IngestError(name, f"{target} already exists; not overwritten") from None
            except OSError as exc:
                raise IngestError(name, f"cannot be written to {corpus} ({exc.strerror or exc})") from None
            known[h] = article.article_id
            result.added.append((name, article.article_id))
        except IngestError as exc:
            result.failed.append(exc)
    return result
