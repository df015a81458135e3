"""The HTML report: its content from a hand-made table, the `claims report` command, and
the page built from the corpus as a browser shows it (headless Chromium)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from pipeline.corpus import Article, iter_corpus
from pipeline.extract import extract_articles
from pipeline.report import build_report, highlight, report_file
from pipeline.table import claims_frame, write_claims

from conftest import chromium, claims_table, run_claims as run

ROOT = Path(__file__).resolve().parent.parent

CLAIMS = [
    # two sources that contradict in one month, and a running total that falls
    {"id": "a", "metric": "mine_casualties", "value": 300, "qualifier": "lower_bound", "date": "2021-04", "surface": "more than 300",
     "sentence": "The ministry said more than 300 people were hurt by mines by April.", "article": "art-one"},
    {"id": "b", "metric": "mine_casualties", "value": 250, "date": "2021-04", "surface": "250",
     "sentence": "A monitor counted 250 mine casualties by mid-April.", "article": "art-two"},
    {"id": "c", "metric": "area_cleared", "unit": "hectare", "value": 8000, "date": "2021-06", "surface": "8,000 hectares",
     "sentence": "Teams have cleared 8,000 hectares so far.", "article": "art-one", "period_start": "2015"},
    {"id": "d", "metric": "area_cleared", "unit": "hectare", "value": 6500, "date": "2022-06", "surface": "6,500 hectares", "period_start": "2015",
     "sentence": "Deminers have now cleared 6,500 hectares <in total> & more.", "article": "art-two"},
    {"id": "e", "metric": "deminers", "value": 40, "date": "2022", "location": "", "surface": "40",
     "sentence": "Some 40 deminers work there.", "article": "art-two"},
]


def page_of(claims, articles=None) -> str:
    return build_report(claims_table(claims), articles or {})


@pytest.fixture(scope="module")
def page() -> str:
    articles = {
        "art-one": Article("art-one", "x", {"published": "2021-06-30", "outlet": "The Daily Example", "title": "Mines, a year on", "url": "https://example.org/a"}),
        "art-two": Article("art-two", "y", {"published": "2022-06-30", "author": "R. Writer"}),
    }
    return page_of(CLAIMS, articles)


def test_overview_counts(page):
    doc = lxml_html.fromstring(page)
    card = lambda i: doc.get_element_by_id(i).find_class("n")[0].text_content().strip()
    assert card("n-articles") == "2"
    assert card("n-claims") == "5"
    assert card("n-places") == "1"  # the claim with no place is listed, not counted as a place
    assert card("n-metrics") == "3"
    assert card("date-span") == "2021-04 – 2022-06"
    assert card("n-findings") == "2"


def test_a_chart_and_a_table_per_place_and_metric(page):
    doc = lxml_html.fromstring(page)
    sections = doc.find_class("metric")
    assert len(sections) == 3 == len(doc.find_class("spec"))
    titles = {s.find("h3").text_content().split("\n")[0].strip() for s in sections}
    assert {"People killed or injured by mines", "Area cleared", "Deminers"} <= {t.split(" number")[0].split(" hectares")[0].strip() for t in titles}
    assert doc.get_element_by_id("place-place-not-stated") is not None


def test_every_figure_is_highlighted_in_its_sentence(page):
    marks = re.findall(r"<mark>(.*?)</mark>", page)
    for c in CLAIMS:
        assert marks.count(c["surface"].replace("&", "&amp;")) >= 1, c["surface"]
    # sentence text is escaped, never markup
    assert "&lt;in total&gt; &amp; more" in page and "<in total>" not in page


def test_disagreements_name_both_sources(page):
    doc = lxml_html.fromstring(page)
    rows = doc.get_element_by_id("findings").findall(".//tbody/tr")
    text = [r.text_content() for r in rows]
    assert len(rows) == 2
    conflict = next(t for t in text if "conflict" in t)
    assert "more than 300" in conflict and "250 mine casualties" in conflict
    assert "The Daily Example" in conflict and "R. Writer" in conflict
    regression = next(t for t in text if "regression" in t)
    assert "8,000 hectares" in regression and "6,500 hectares" in regression


def test_page_is_self_contained(page):
    assert "vegaEmbed" in page
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link\b", page)
    assert "@import" not in page and "url(" not in page.split("<script>")[0]
    # the only absolute links are the articles' own URLs
    assert set(re.findall(r'href="(https?://[^"]+)"', page)) == {"https://example.org/a"}


def test_highlight_uses_offsets_when_a_figure_is_written_twice():
    body = "Intro. In 2023, 12 mines in 12 villages were found. End."
    sentence = "In 2023, 12 mines in 12 villages were found."
    second = body.index("12 villages")
    assert str(highlight(sentence, "12", second, body)) == "In 2023, 12 mines in <mark>12</mark> villages were found."
    assert str(highlight(sentence, "12", second, None)) == "In 2023, <mark>12</mark> mines in 12 villages were found."


def test_empty_table_gives_a_page():
    page = build_report(claims_table(CLAIMS).iloc[0:0])
    doc = lxml_html.fromstring(page)
    assert doc.get_element_by_id("n-claims").find_class("n")[0].text_content().strip() == "0"
    assert "No conflicts, inconsistencies, regressions or outliers." in page


def test_report_command(tmp_path):
    claims = tmp_path / "claims.csv"
    write_claims(claims_frame(claims_table(CLAIMS).to_dict("records")), claims)
    out = tmp_path / "report.html"
    proc = run("report", "--claims", str(claims), "--out", str(out), "--corpus", str(tmp_path / "no-corpus"))
    assert proc.returncode == 0, proc.stderr
    assert "report: 5 claims from 2 articles" in proc.stdout
    assert "2 of 2 article(s) not found" in proc.stderr  # sources show as ids; the page is still written
    assert out.read_text(encoding="utf-8").count('class="spec"') == 3


# -- the page in a browser --------------------------------------------------------------------
def browse(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
        f"--user-data-dir={profile}", "--virtual-time-budget=20000", *args, page.as_uri(),
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def corpus_report(nlp, tmp_path_factory) -> tuple[Path, dict]:
    """The report of the corpus, as `claims extract` and `claims report` make it."""
    work = tmp_path_factory.mktemp("report")
    articles = [a for a in iter_corpus(ROOT / "corpus") if isinstance(a, Article)]
    claims = work / "claims.csv"
    write_claims(extract_articles(articles, nlp), claims)
    out = work / "report.html"
    counts = report_file(claims, out, corpus_dir=ROOT / "corpus")
    return out, counts


def test_corpus_report_in_headless_chromium(corpus_report, tmp_path):
    page, counts = corpus_report
    proc = browse(page, tmp_path / "profile", "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = lxml_html.fromstring(proc.stdout)
    card = lambda i: doc.get_element_by_id(i).find_class("n")[0].text_content().strip()
    assert card("n-articles") == str(counts["articles"]) == "5"
    assert card("n-claims") == str(counts["claims"])
    assert int(card("n-places")) >= 1 and int(card("n-metrics")) >= 5
    # every chart was drawn by Vega into an SVG with at least one point in it
    charts = doc.find_class("chart")
    drawn = [c for c in charts if c.xpath(".//svg[contains(@class, 'marks')]//g[contains(@class, 'mark-symbol')]/path")]
    assert charts and len(drawn) == len(charts), f"{len(drawn)} of {len(charts)} charts drawn"
    assert "could not be drawn" not in " ".join(c.text_content() for c in charts)
    # the seeds disagree: the check flags at least one pair, and sources differ
    assert len(doc.get_element_by_id("differences").findall(".//tbody/tr")) >= 3

    shot = ROOT / "outputs" / "report.png"
    proc = browse(page, tmp_path / "profile", "--window-size=1280,1800", f"--screenshot={shot}")
    assert proc.returncode == 0 and shot.stat().st_size > 50_000, proc.stderr[-2000:]


def test_sections_are_countries_and_series_are_scopes():
    """A running total, a year's count and a region's count of one metric are three series
    of one chart in their country's section; the section lists its regions."""
    claims = [
        {"id": "t1", "metric": "area_cleared", "unit": "hectare", "value": 9000, "date": "2022-06", "period_start": "1996", "location": "Cambodia"},
        {"id": "t2", "metric": "area_cleared", "unit": "hectare", "value": 9600, "date": "2023-06", "period_start": "1996", "location": "Cambodia"},
        {"id": "y1", "metric": "area_cleared", "unit": "hectare", "value": 600, "date": "2022", "location": "Cambodia"},
        {"id": "r1", "metric": "area_cleared", "unit": "hectare", "value": 150, "date": "2022", "location": "Cambodia", "region": "Battambang"},
    ]
    doc = lxml_html.fromstring(page_of(claims))
    sections = doc.find_class("place")
    assert [s.find("h2").text_content().split(" ")[0] for s in sections] == ["Cambodia"]
    assert "regions: Battambang" in sections[0].find("h2").text_content()
    spec = json.loads(doc.find_class("spec")[0].text_content())
    data = next(iter(spec["datasets"].values()))
    assert sorted({d["counted"] for d in data}) == ["per year", "per year · Battambang", "since 1996"]
    cells = [td.text_content().strip() for td in doc.xpath("//td[@data-label='Region']")]
    assert sorted(cells) == ["Battambang", "—", "—", "—"]
