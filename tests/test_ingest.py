"""`claims ingest`: every kind of source, metadata, identity, text, and the bad inputs."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline.corpus import corpus_files, read_article
from pipeline.ingest import article_id_for, ingest

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).parent / "bad_inputs"
SEED = sorted((ROOT / "corpus").glob("*.txt"))[0]
PAGE = """<!doctype html><html><head><title>Teams clear 300 hectares</title>
<meta name="author" content="Jane Doe"><meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="2024-03-02"></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav><div class="cookie">We use cookies. Accept all</div>
<article><h1>Teams clear 300 hectares</h1><p>Deminers cleared 300 hectares of farmland in 2023, officials said on Monday.
The work will continue next year in three provinces.</p><p>Since 2018, teams have destroyed 12,000 mines, according to the
national mine action authority.</p></article><aside>Related: other stories you may like</aside><footer>Copyright</footer></body></html>"""


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        if self.path == "/article.html":
            self._send(200, "text/html; charset=utf-8", PAGE.encode())
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200, "text/html", PAGE.encode())
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
        elif self.path == "/image":
            self._send(200, "image/png", (BAD / "image.png").read_bytes())
        else:
            self._send(404, "text/plain", b"not here")

    def _send(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def folder_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(str(p.relative_to(folder)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


def resolve(source: str, tmp_path: Path, server: str) -> str:
    if source == "{big}":
        big = tmp_path / "big.txt"
        with open(big, "wb") as fh:
            fh.truncate(50 * 1024 * 1024)  # 50 MB (sparse)
        return str(big)
    if source == "{missing}":
        return str(tmp_path / "no_such_file.txt")
    if source == "{folder}":
        (tmp_path / "a_folder").mkdir(exist_ok=True)
        return str(tmp_path / "a_folder")
    if source == "{duplicate}":
        dup = tmp_path / "dup.txt"
        # the seed's body again, with other spacing: still the same article
        body = read_article(SEED).body
        dup.write_text("published: 2023-05-27\n\n" + "  ".join(body.split(" ")), encoding="utf-8")
        return str(dup)
    if source.startswith("{server}"):
        return server + source[len("{server}") :]
    return str(BAD / source)


CASES = yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))


def test_at_least_fifteen_bad_inputs():
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c["source"] for c in CASES])
def test_bad_input_names_problem_and_leaves_corpus_alone(case, corpus, tmp_path, server):
    source = resolve(case["source"], tmp_path, server)
    before = folder_hash(corpus)
    result = ingest([source], corpus, timeout=1.0)
    assert not result.added
    messages = [str(f) for f in result.failed] + [f"{s}: already in corpus as {e}" for s, e in result.duplicates]
    assert len(messages) == 1, messages
    assert source in messages[0] and case["problem"] in messages[0], messages[0]
    assert folder_hash(corpus) == before


def test_cli_mixed_call_good_ones_still_ingested(corpus, tmp_path, server):
    good = tmp_path / "good.txt"
    good.write_text("title: Forty mines destroyed\npublished: 2024-02-01\n\nTeams destroyed 40 mines near the village.\n", encoding="utf-8")
    bad = [resolve(c["source"], tmp_path, server) for c in CASES]
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "ingest", str(good), *bad, f"{server}/article.html", "--corpus", str(corpus), "--timeout", "1"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1
    assert proc.stdout.count("added ") == 2
    lines = [l for l in proc.stderr.splitlines() if l.startswith("claims: ") and "added," not in l]
    assert len(lines) == len(CASES)
    for case, source in zip(CASES, bad):
        assert any(source in l and case["problem"] in l for l in lines), (source, proc.stderr)
    assert len(corpus_files(corpus)) == 3


def ingest_one(corpus: Path, tmp_path: Path, name: str, text: str, **flags):
    """Write one source, ingest it, and read back the corpus file it became."""
    src = tmp_path / name
    src.write_text(text, encoding="utf-8")
    result = ingest([str(src)], corpus, **flags)
    assert not result.failed and len(result.added) == 1, result
    aid = result.added[0][1]
    return aid, read_article(corpus / f"{aid}.txt")


def test_plain_text_needs_published(corpus, tmp_path):
    src = tmp_path / "plain.txt"
    src.write_text("Deminers cleared 120 hectares in Kampot.\n", encoding="utf-8")
    assert ingest([str(src)], corpus).failed
    aid, art = ingest_one(corpus, tmp_path, "plain.txt", src.read_text(), published="2024-05-01", outlet="Phnom Penh Daily")
    assert art.body == "Deminers cleared 120 hectares in Kampot.\n"
    assert art.meta["published"] == "2024-05-01" and art.meta["outlet"] == "Phnom Penh Daily"
    assert aid.startswith("2024-05-01_phnom-penh-daily_")


def test_seed_style_header(corpus, tmp_path):
    _, art = ingest_one(corpus, tmp_path, "seed_style.txt", " date 2023-06-01 Jane Roe\n\nTeams destroyed 75 mines.\n")
    assert art.meta["published"] == "2023-06-01" and art.meta["author"] == "Jane Roe"
    assert art.body == "\nTeams destroyed 75 mines.\n"


def test_key_value_header_keeps_unknown_keys_and_flags_win(corpus, tmp_path):
    text = "title: Old title\npublished: 2023-07\nsection: World\n\nTeams destroyed 75 mines.\n"
    _, art = ingest_one(corpus, tmp_path, "kv.txt", text, title="New title")
    assert art.meta["title"] == "New title" and art.meta["published"] == "2023-07" and art.meta["section"] == "World"
    assert art.body == "Teams destroyed 75 mines.\n"


def test_contract_file_validated_and_copied(corpus, tmp_path):
    _, art = ingest_one(corpus, tmp_path, "contract.txt", "---\npublished: '2022-09'\nregion: North\n---\nTeams destroyed 12 mines.\n")
    assert art.meta["region"] == "North" and art.meta["published"] == "2022-09"
    assert art.body == "Teams destroyed 12 mines.\n"


def test_saved_html_page(corpus, tmp_path):
    _, art = ingest_one(corpus, tmp_path, "page.html", PAGE)
    assert art.meta["title"] == "Teams clear 300 hectares" and art.meta["author"] == "Jane Doe"
    assert art.meta["outlet"] == "Example News" and art.meta["published"] == "2024-03-02"
    assert "300 hectares" in art.body and "12,000 mines" in art.body
    for boilerplate in ("Home", "cookies", "Related", "Copyright"):
        assert boilerplate not in art.body


def test_url(corpus, server):
    (_, aid), = ingest([f"{server}/article.html"], corpus).added
    art = read_article(corpus / f"{aid}.txt")
    assert art.meta["url"] == f"{server}/article.html" and "300 hectares" in art.body


def test_stdin(corpus):
    data = io.BytesIO(b"published: 2024-01-10\n\nTeams destroyed 9 mines.\n")
    (source, aid), = ingest(["-"], corpus, stdin=data).added
    assert source == "<stdin>" and read_article(corpus / f"{aid}.txt").body == "Teams destroyed 9 mines.\n"


def test_charset_bom_and_line_endings(corpus, tmp_path):
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Déminage : 40 mines détruites près de Kâmpôt, a déclaré le ministère de l'Intérieur.\r\n".encode("cp1252") * 3)
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbfTeams destroyed 8 mines.\r\nAnd 2 shells.\r\n")
    result = ingest([str(latin), str(bom)], corpus, published="2024-01-01")
    assert not result.failed, result.failed
    bodies = [read_article(corpus / f"{aid}.txt").body for _, aid in result.added]
    assert "\r" not in bodies[0] and "40 mines" in bodies[0]
    assert bodies[1] == "Teams destroyed 8 mines.\nAnd 2 shells.\n"
    for _, aid in result.added:
        (corpus / f"{aid}.txt").read_bytes().decode("utf-8")


def test_same_body_twice_is_skipped(corpus, tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("Teams destroyed 40 mines.\n", encoding="utf-8")
    b = tmp_path / "b.txt"
    b.write_text("Teams   destroyed\n40 mines.  \n", encoding="utf-8")
    result = ingest([str(a), str(b)], corpus, published="2024-01-01")
    assert len(result.added) == 1 and result.duplicates == [(str(b), result.added[0][1])]


def test_article_ids_are_readable_and_distinct():
    a = article_id_for({"published": "2024-03-02", "title": "Teams clear 300 hectares!"}, "x")
    b = article_id_for({"published": "2024-03-02", "title": "Teams clear 300 hectares!"}, "y")
    assert a.startswith("2024-03-02_teams-clear-300-hectares_") and a != b


BODY = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00\ufeff"), min_size=1, max_size=300)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODY)
def test_any_body_survives_ingest_and_read_back(tmp_path_factory, body):
    assume(body.strip())
    first = body.split("\n", 1)[0]
    assume(not body.startswith("---") and not first.lstrip().lower().startswith("date ") and ":" not in first)
    assume(not body.lstrip()[:200].lower().startswith(("<!doctype html", "<html")))
    folder = tmp_path_factory.mktemp("prop")
    src = folder / "in.txt"
    src.write_bytes(body.encode("utf-8"))
    result = ingest([str(src)], folder / "corpus", published="2024-01-01")
    assert not result.failed, result.failed
    (_, aid), = result.added
    assert read_article(folder / "corpus" / f"{aid}.txt").body == body


LAYOUTS = [
    # (header/nav, wrapper open, wrapper close, extras after) - five different kinds of site
    ('<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav></header>', "<main><article>", "</article></main>", '<aside><h3>Related</h3><ul><li><a href="/a">Other story one</a></li></ul></aside>'),
    ('<div id="cookie-banner">We use cookies to improve your experience. <button>Accept all</button></div>', '<div class="content"><div class="story-body">', "</div></div>", '<div class="share">Share on social media</div>'),
    ('<div class="topbar">Breaking news ticker: markets open higher</div>', '<section id="article"><div class="text">', "</div></section>", '<div class="newsletter">Sign up for our newsletter</div>'),
    ("", "<body><div class=post>", "</div>", '<div class="comments"><h4>Comments (3)</h4><p>Great article!</p></div>'),
    ('<nav class="breadcrumbs"><a href="/">News</a> &gt; <a href="/asia">Asia</a></nav>', '<article class="entry"><div class="entry-content">', "</div></article>", '<footer><p>Copyright 2024 Example Media. All rights reserved.</p></footer>'),
]


def as_page(article, layout) -> str:
    nav, open_, close, extra = layout
    paragraphs = "".join(f"<p>{p.strip()}</p>" for p in article.body.split("\n\n") if p.strip())
    title = article.meta["title"]
    return (
        f"<!doctype html><html><head><title>{title}</title>"
        f'<meta property="article:published_time" content="{article.meta["published"]}">'
        f'<meta property="og:site_name" content="{article.meta["outlet"]}"></head><body>'
        f"{nav}{open_}<h1>{title}</h1>{paragraphs}{close}{extra}</body></html>"
    )


def test_saved_pages_extract_like_hand_made_files(nlp, tmp_path):
    """Five pages from five site layouts: the same claims as the hand-made corpus files."""
    from pipeline.extract import extract_articles

    sources = sorted((ROOT / "tests" / "regression" / "synthetic").glob("*.txt"))[:5]
    originals = [read_article(p) for p in sources]
    for k, (article, layout) in enumerate(zip(originals, LAYOUTS)):
        (tmp_path / f"page{k}.html").write_text(as_page(article, layout), encoding="utf-8")
    result = ingest([str(tmp_path / f"page{k}.html") for k in range(5)], tmp_path / "corpus")
    assert not result.failed and len(result.added) == 5
    ingested = [read_article(tmp_path / "corpus" / f"{aid}.txt") for _, aid in result.added]

    def claims(articles):
        table = extract_articles(articles, nlp)
        return sorted(zip(table["metric"], table["value"], table["unit"], table["qualifier"], table["date"]))

    for article, page in zip(originals, ingested):
        assert page.meta["published"] == article.meta["published"]
        for noise in ("cookies", "Related", "newsletter", "Comments", "Copyright", "Breaking news"):
            assert noise not in page.body
        renamed = type(article)(page.article_id, article.body, article.meta)
        assert claims([page]) == claims([renamed]), article.article_id


def test_file_metadata_wins_over_extracted(corpus, tmp_path, server):
    """A page's own date loses to a date the user put in a header, which loses to a flag."""
    page = tmp_path / "dated.html"
    page.write_text(PAGE, encoding="utf-8")
    (_, aid), = ingest([str(page)], corpus, published="2024-03-05").added
    assert read_article(corpus / f"{aid}.txt").meta["published"] == "2024-03-05"
    contract = tmp_path / "contract.txt"
    contract.write_text(f"---\npublished: '2024-01-09'\nurl: {server}/kept\n---\nTeams destroyed 31 mines.\n", encoding="utf-8")
    (_, aid), = ingest([str(contract)], corpus).added
    assert read_article(corpus / f"{aid}.txt").meta["url"] == f"{server}/kept"
