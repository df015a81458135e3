"""`claims review`: the review page, a small web app on the standard library.

Why the standard library (http.server's ThreadingHTTPServer) and no web framework: the
app is one page and three JSON calls on one machine, for one person (or two tabs); the
standard library serves that with nothing to install and nothing imported by `claims
extract`. The page's script and style ship in the package (pipeline/templates/review.*)
and nothing is fetched from the network. Article text and fields reach the page as JSON
and are put in with textContent, never as markup; the Content-Security-Policy allows
only the app's own script and style.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from .corpus import Article, iter_corpus
from .review import (
    QUALIFIERS,
    InvalidReview,
    Review,
    ReviewStore,
    Vocabulary,
    row_fields,
    anchor,
    claim_key,
    decide,
    raw_view,
    reanchor_store,
)
from .table import read_claims

STATIC = {
    "/": ("review.html", "text/html; charset=utf-8"),
    "/review.js": ("review.js", "text/javascript; charset=utf-8"),
    "/review.css": ("review.css", "text/css; charset=utf-8"),
}
MAX_POST = 1 << 20
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class ReviewSession:
    """What the page works on: the table's claims as the pipeline gave them, the corpus
    articles, the reviews file and the taxonomy."""

    def __init__(self, claims: str | Path, corpus: str | Path, reviews: str | Path, models_dir: str | Path | None = None, reviewer: str = ""):
        self.claims_path, self.reviews_path = str(claims), str(reviews)
        self.reviewer = reviewer or "reviewer"
        self.vocab = Vocabulary.load(models_dir)
        table = read_claims(claims)
        self.articles: dict[str, Article] = {a.article_id: a for a in iter_corpus(corpus) if isinstance(a, Article)}
        self.store = ReviewStore(reviews, corpus)
        self.bodies = {aid: a.body for aid, a in self.articles.items()}
        self.published = {aid: a.published for aid, a in self.articles.items()}
        _, self.orphans, self.reanchored = reanchor_store(self.store, self.bodies)
        raw = raw_view(table, self.store.all())
        self.raw: dict[tuple, dict] = {}
        for row in raw.to_dict("records"):
            if row["article_id"] in self.bodies:
                self.raw[claim_key(row)] = dict(row_fields(row), article_id=row["article_id"])
        self.lock = threading.Lock()

    def reviews(self) -> dict[tuple, Review]:
        kept, _, _ = anchor(self.store.all(), self.bodies)
        return {r.key: r for r in kept}

    def state(self) -> dict[str, Any]:
        reviews = self.reviews()
        items = []
        for key, claim in self.raw.items():
            items.append(_item(key, claim, reviews.get(key)))
        for key, r in reviews.items():
            if key not in self.raw:
                items.append(_item(key, r.original or r.claim(), r))
        items.sort(key=lambda i: (i["key"]["article_id"], i["key"]["start"], i["key"]["end"], i["key"]["metric"]))
        return {
            "reviewer": self.reviewer,
            "claims_file": self.claims_path,
            "reviews_file": self.reviews_path,
            "metrics": [{"id": m, "unit": u} for m, u in self.vocab.metric_units.items()],
            "units": sorted(set(self.vocab.metric_units.values())),
            "qualifiers": list(QUALIFIERS),
            "articles": [
                {"id": a.article_id, "title": a.meta.get("title", ""), "outlet": a.meta.get("outlet", ""), "published": a.published}
                for a in sorted(self.articles.values(), key=lambda a: a.article_id)
            ],
            "items": items,
            "orphans": len(self.orphans),
        }

    def article(self, article_id: str) -> dict[str, Any] | None:
        a = self.articles.get(article_id)
        if a is None:
            return None
        return {"id": a.article_id, "body": a.body, "meta": a.meta}

    def decide(self, payload: dict) -> dict[str, Any]:
        with self.lock:  # one decision at a time in this process; the file's transaction does the rest
            current = self.reviews()
            r = decide(self.store, self.raw, self.bodies, self.published, self.vocab, payload, str(payload.get("reviewer") or self.reviewer), current)
        if r is None:
            key = payload["key"]
            k = (key["article_id"], int(key["start"]), int(key["end"]), key["surface"], key["metric"])
            return {"cleared": True, "item": _item(k, self.raw[k], None) if k in self.raw else None}
        return {"item": _item(r.key, self.raw.get(r.key) or r.original or r.claim(), r)}


def _item(key: tuple, claim: dict, review: Review | None) -> dict[str, Any]:
    aid, start, end, surface, metric = key
    return {
        "key": {"article_id": aid, "start": start, "end": end, "surface": surface, "metric": metric},
        "claim": {k: v for k, v in claim.items()},
        "review": None
        if review is None
        else {"decision": review.decision, "fields": review.fields, "current": review.claim(), "reviewer": review.reviewer, "at": review.at},
    }


def make_handler(session: ReviewSession) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "claims-review"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the terminal shows the address only
            pass

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: Any) -> None:
            self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

        def _same_origin(self) -> bool:
            """Refuse writes from another site's page (its Origin differs from our Host)."""
            origin = self.headers.get("Origin")
            return origin is None or urlparse(origin).netloc == self.headers.get("Host", "")

        def _host_ok(self) -> bool:
            """On a loopback address, answer only requests made to it by name or number: a
            page of another site cannot reach the app through its own host name (DNS
            rebinding)."""
            bound = str(self.server.server_address[0])
            if bound not in LOOPBACK:
                return True
            name = urlparse("//" + self.headers.get("Host", "")).hostname or ""
            return name in LOOPBACK

        def do_GET(self) -> None:
            if not self._host_ok():
                return self._json(HTTPStatus.FORBIDDEN, {"error": "refused: unknown Host"})
            url = urlparse(self.path)
            if url.path in STATIC:
                name, kind = STATIC[url.path]
                self._send(200, resources.files("pipeline").joinpath("templates", name).read_bytes(), kind)
            elif url.path == "/api/state":
                self._json(200, session.state())
            elif url.path == "/api/article":
                art = session.article(parse_qs(url.query).get("id", [""])[0])
                self._json(200, art) if art else self._json(404, {"error": "no such article"})
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:
            if urlparse(self.path).path != "/api/decide":
                return self._json(404, {"error": "not found"})
            if not self._host_ok() or not self._same_origin() or not self.headers.get("Content-Type", "").startswith("application/json"):
                return self._json(HTTPStatus.FORBIDDEN, {"error": "refused: not a JSON request from this page"})
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_POST:
                return self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "request too large"})
            try:
                payload = json.loads(self.rfile.read(length).decode("utf-8"))
                if not isinstance(payload, dict):
                    raise ValueError("not an object")
            except (ValueError, UnicodeDecodeError) as exc:
                return self._json(400, {"error": f"not JSON ({exc})"})
            try:
                self._json(200, session.decide(payload))
            except InvalidReview as exc:
                self._json(400, {"error": str(exc)})

    return Handler


def make_server(session: ReviewSession, host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(session))
    server.daemon_threads = True
    return server


def address(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    return f"http://{shown}:{port}/"


def serve(claims: str, corpus: str, reviews: str, host: str = "127.0.0.1", port: int = 8765, models_dir: str | None = None, reviewer: str | None = None) -> int:
    """`claims review`: open the session, print the address, serve until Ctrl-C."""
    import getpass
    import sys

    from .corpus import CorpusError
    from .review import ReviewError

    if not reviewer:
        try:
            reviewer = getpass.getuser()
        except (KeyError, OSError):
            reviewer = "reviewer"
    try:
        session = ReviewSession(claims, corpus, reviews, models_dir, reviewer)
    except FileNotFoundError:
        raise ReviewError(f"{claims}: claims file not found; run claims extract first") from None
    except CorpusError as exc:
        raise ReviewError(str(exc)) from None
    except (OSError, ValueError) as exc:
        if isinstance(exc, ReviewError):
            raise
        raise ReviewError(f"{claims}: claims file cannot be read ({exc})") from None
    try:
        server = make_server(session, host, port)
    except OSError as exc:
        raise ReviewError(f"{host}:{port}: cannot listen ({exc.strerror or exc}); give another --port") from None
    total = len(session.raw)
    note = f"; {len(session.orphans)} orphaned review(s): claims review --orphans" if session.orphans else ""
    if session.reanchored:
        note += f"; {session.reanchored} review(s) re-anchored to their moved figure"
    print(f"reviewing {total} claims of {len(session.articles)} articles from {claims} at {address(server)} (reviews: {reviews}{note}); Ctrl-C stops", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0
