"""The review page in headless Chromium, driven with the keyboard over the DevTools
protocol: confirm, reject, correct (a bad value refused in the page with the reason) and
add a claim; then the stored reviews and the next `claims extract` table. Also: markup
in an article shows as text, ten claims reviewed by keyboard in well under two minutes,
and the README's screenshot (outputs/review.png)."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from pipeline.extract import extract_corpus
from pipeline.review import ReviewStore
from pipeline.review_app import ReviewSession, address, make_server
from pipeline.table import read_claims, write_claims

from cdp import Browser
from conftest import chromium, run_claims as run

ROOT = Path(__file__).resolve().parent.parent
SEED = sorted((ROOT / "corpus").glob("*.txt"))[1]
HOSTILE = """---
published: 2024-05-02
title: A <b>bold</b> title
outlet: Test Wire
---
Deminers <script>window.pwned = 1</script> cleared 30 hectares near the river in April 2024, the agency said.
<img src=x onerror="window.pwned = 2"> Mines killed 4 people and injured 9 others in the district in 2023.
"""


@pytest.fixture(scope="module")
def work(tmp_path_factory, nlp) -> Path:
    folder = tmp_path_factory.mktemp("review-page")
    (folder / "corpus").mkdir()
    shutil.copy(SEED, folder / "corpus" / SEED.name)
    (folder / "corpus" / "zz_hostile.txt").write_text(HOSTILE, encoding="utf-8")
    result = extract_corpus(folder / "corpus", nlp=nlp)
    assert not result.failures
    (folder / "out").mkdir()
    write_claims(result.table, folder / "out" / "raw.csv")
    return folder


@pytest.fixture()
def served(work, tmp_path):
    """The app on a free port of 127.0.0.1, and a browser on it."""
    reviews = work / "out" / "reviews.sqlite"
    for p in work.glob("out/reviews.sqlite*"):
        p.unlink()
    shutil.copy(work / "out" / "raw.csv", work / "out" / "claims.csv")
    session = ReviewSession(work / "out" / "claims.csv", work / "corpus", reviews, reviewer="tester")
    server = make_server(session, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    browser = Browser(chromium(), tmp_path / "profile")
    browser.goto(address(server))
    browser.wait("document.body.dataset.ready === '1'")
    try:
        yield browser, address(server), reviews
    finally:
        browser.close()
        server.shutdown()
        server.server_close()


def current(b: Browser) -> dict:
    return b.eval("({key: JSON.parse(curKey), decision: document.getElementById('decision').textContent, error: document.getElementById('error').textContent})")


def counter(b: Browser) -> tuple[int, int]:
    d = b.eval("({...document.getElementById('counter').dataset})")
    return int(d["done"]), int(d["total"])


def settle(b: Browser) -> None:
    b.wait("!busy")


def test_confirm_reject_correct_add_then_extract(served, work):
    b, url, reviews = served
    done, total = counter(b)
    assert done == 0 and total == len(read_claims(work / "out" / "claims.csv"))
    first = current(b)["key"]
    b.key("c")  # confirm, and on to the next claim
    settle(b)
    second = current(b)["key"]
    assert second != first
    b.key("x")  # reject
    settle(b)
    third = current(b)["key"]
    b.key("e")  # edit: the value field has the focus
    b.wait("document.activeElement && document.activeElement.name === 'value'")
    b.eval("document.activeElement.select()")
    b.type("-12")
    b.key("Enter")
    b.wait("document.getElementById('error').textContent !== ''")
    assert "negative" in current(b)["error"]  # refused in the page, with the server's reason
    b.eval("document.activeElement.select()")
    b.type("777")
    b.key("Enter")
    settle(b)
    assert counter(b)[0] == 3
    # add: select a figure the pipeline missed ("44-day" reads as no claim) and press a
    b.eval("document.getElementById('f-status').value = 'all'")
    missed = b.eval(
        """(() => {
        const el = document.getElementById('body');
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        let node;
        while ((node = walker.nextNode())) {
          if (node.parentElement.tagName === 'MARK') continue;
          const m = node.textContent.match(/\\b(?:19|20)[0-9]{2}\\b/);
          if (m) {
            const r = document.createRange();
            r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
            const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
            return m[0];
          }
        }
        return null;
      })()"""
    )
    assert missed
    b.key("a")
    b.wait("!document.getElementById('edit').hidden")
    b.eval("(() => { const s = document.querySelector('#edit [name=metric]'); s.value = 'deminers'; s.dispatchEvent(new Event('change')); })()")
    b.eval("document.querySelector('#edit [name=value]').focus()")
    b.eval("document.activeElement.select()")
    b.type("15")
    b.key("Enter")
    settle(b)
    assert current(b)["error"] == ""
    assert counter(b) == (4, total + 1)
    marks = b.eval("[...document.querySelectorAll('#body mark')].map(m => m.className)")
    assert any("added" in m for m in marks) and any("rejected" in m for m in marks)

    stored = {r.key: r for r in ReviewStore(reviews, work / "corpus").all()}
    as_key = tuple  # the page keys a claim as [article_id, start, end, surface, metric]
    assert stored[as_key(first)].decision == "confirmed"
    assert stored[as_key(second)].decision == "rejected"
    assert stored[as_key(third)].decision == "corrected" and stored[as_key(third)].fields["value"] == "777"
    added = [r for r in stored.values() if r.decision == "added"]
    assert len(added) == 1 and added[0].surface == missed and added[0].fields["value"] == "15"
    assert all(r.reviewer == "tester" for r in stored.values())

    # the next claims extract applies them
    proc = run("extract", "--corpus", "corpus", "--out", "out/claims.csv", "--jobs", "1", cwd=work)
    assert proc.returncode == 0, proc.stderr
    table = read_claims(work / "out" / "claims.csv")
    rows = {(r["article_id"], r["start"], r["end"], r["surface"], r["metric"]): r for r in table.to_dict("records")}
    assert rows[as_key(first)]["review"] == "confirmed"
    assert as_key(second) not in rows
    assert rows[as_key(third)]["review"] == "corrected" and rows[as_key(third)]["value"] == "777"
    assert rows[added[0].key]["review"] == "added" and rows[added[0].key]["metric"] == "deminers"
    assert len(table) == total  # one rejected, one added
    # a fresh page on the reviewed table shows the same decisions (the table is read back raw)
    b.eval("location.reload()")
    b.wait("document.body && document.body.dataset.ready === '1'")


def test_markup_in_an_article_is_shown_as_text(served):
    b, _, _ = served
    b.eval("(() => { const s = document.getElementById('f-article'); s.value = 'zz_hostile'; s.dispatchEvent(new Event('change')); })()")
    b.wait("document.getElementById('article-meta').textContent.includes('zz_hostile')")
    body = b.eval("document.getElementById('body').textContent")
    assert "<script>window.pwned = 1</script>" in body and '<img src=x onerror="window.pwned = 2">' in body
    assert b.eval("document.querySelectorAll('#body *:not(mark)').length") == 0
    assert b.eval("document.getElementById('article-title').textContent") == "A <b>bold</b> title"
    assert b.eval("typeof window.pwned") == "undefined"


def test_ten_claims_by_keyboard_in_under_two_minutes(served, work):
    b, _, reviews = served
    keys = ["c", "c", "x", "c", "e", "c", "c", "x", "c", "c"]
    started = time.monotonic()
    for k in keys:
        if k == "e":
            b.key("e")
            b.wait("document.activeElement && document.activeElement.name === 'value'")
            b.key("Enter")  # saved unchanged: a confirmation
        else:
            b.key(k)
        settle(b)
    seconds = time.monotonic() - started
    print(f"10 claims reviewed by keyboard in {seconds:.2f} s of page time")
    assert counter(b)[0] == 10
    assert seconds < 120
    decisions = [r.decision for r in ReviewStore(reviews, work / "corpus").all()]
    assert sorted(decisions) == sorted(["confirmed"] * 8 + ["rejected"] * 2)
    # the README's picture of the page: the seed article mid-review
    b.key("k")
    settle(b)
    shot = ROOT / "outputs" / "review.png"
    b.screenshot(shot)
    assert shot.stat().st_size > 20_000


def test_page_screenshot_with_chromium_screenshot_flag(served, tmp_path):
    """The README's recipe: chromium --headless --screenshot on the running app."""
    _, url, _ = served
    out = tmp_path / "shot.png"
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'p2'}",
           "--window-size=1280,900", "--virtual-time-budget=5000", f"--screenshot={out}", url]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and out.stat().st_size > 20_000, proc.stderr[-2000:]
