"""Reviews: applying them to a table (tests/review/apply_cases.yaml), the reviews file
(another corpus refused, two writers, last decision wins), corrections refused with the
reason, orphans, gold export scored by `claims eval`, and the `claims review` and
`claims extract` commands."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from pipeline.corpus import read_article
from pipeline.review import (
    InvalidReview,
    Review,
    ReviewError,
    ReviewStore,
    Vocabulary,
    row_fields,
    anchor,
    apply_reviews,
    body_digest,
    check_fields,
    claim_key,
    gold_table,
    load_reviews,
    sentence_around,
)
from pipeline.table import COLUMNS, claims_frame, read_claims, write_claims

from conftest import claims_table, run_claims as run

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((ROOT / "tests" / "review" / "apply_cases.yaml").read_text(encoding="utf-8"))
SEED = sorted((ROOT / "corpus").glob("*.txt"))[1]


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.load()


def case_reviews(case: dict, table) -> list[Review]:
    rows = {r["claim_id"]: r for r in table.to_dict("records")}
    out = []
    for spec in case["reviews"]:
        if "claim" in spec:
            row = rows[spec["claim"]]
            original = row_fields(row)
            out.append(Review(*claim_key(row), spec["decision"], dict(spec.get("fields", {})), original, body_digest(row["sentence"]), "tester", "2026-01-01T00:00:00+00:00"))
        else:
            aid, surface = spec["added"], spec["surface"]
            sentence = next(r["sentence"] for r in rows.values() if r["article_id"] == aid)
            start = sentence.index(surface)
            fields = {"unit": "count", "qualifier": "exact", "date_basis": "stated", "period_start": "", "location": "", "region": "", **spec["fields"]}
            fields.update(surface=surface, sentence=sentence, start=start, end=start + len(surface), published=fields["date"])
            out.append(Review(aid, start, start + len(surface), surface, fields["metric"], "added", fields, None, body_digest(sentence), "tester", "2026-01-01"))
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_apply_reviews(case):
    table = claims_table(case["claims"])
    reviews = case_reviews(case, table)
    bodies = case.get("bodies")
    if bodies is not None:
        # the next extraction reads the new body: its offsets are where the surface is now
        for i, row in table.iterrows():
            body = bodies.get(row["article_id"], "")
            if row["surface"] in body:
                table.loc[i, "start"] = body.index(row["surface"])
                table.loc[i, "end"] = table.loc[i, "start"] + len(row["surface"])
        bodies = {**{r["article_id"]: r["sentence"] for r in table.to_dict("records")}, **bodies}
        _, _, orphans = anchor(reviews, bodies)
        assert len(orphans) == case.get("orphans", 0)
    table = table[~table["claim_id"].isin(case.get("drop", []))]
    out = apply_reviews(claims_frame(table.to_dict("records")), reviews, bodies)
    assert list(out.columns) == COLUMNS
    got = [[r["article_id"], r["surface"], r["metric"], r["value"], r["review"]] for r in out.to_dict("records")]
    assert got == case["expect"]
    assert out["claim_id"].is_unique


# -- the reviews file ---------------------------------------------------------------------------
def a_review(n: int, decision: str = "confirmed", reviewer: str = "a") -> Review:
    return Review("art", n, n + 2, "12", "deminers", decision, {}, {"metric": "deminers", "value": "12"}, "d", reviewer, f"t{n}")


def test_reviews_file_refuses_another_corpus(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "other").mkdir()
    path = tmp_path / "out" / "reviews.sqlite"
    ReviewStore(path, tmp_path / "corpus").save(a_review(1))
    with pytest.raises(ReviewError) as err:
        load_reviews(path, tmp_path / "other")
    assert str(err.value) == f"{path}: reviews made for corpus {tmp_path / 'corpus'}, not {tmp_path / 'other'}"
    # the corpus is recorded relative to the file: the project folder may move
    moved = tmp_path.parent / (tmp_path.name + "-moved")
    shutil.copytree(tmp_path, moved)
    assert [r.key for r in load_reviews(moved / "out" / "reviews.sqlite", moved / "corpus")] == [a_review(1).key]


@pytest.mark.parametrize("content", [b"not a database at all", "sqlite-other"])
def test_a_file_that_is_not_a_reviews_file_is_refused(tmp_path, content):
    path = tmp_path / "reviews.sqlite"
    if content == "sqlite-other":
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE articles (id TEXT)")
        con.commit()
        con.close()
    else:
        path.write_bytes(content * 100)
    before = path.read_bytes()
    with pytest.raises(ReviewError, match="not a reviews file"):
        ReviewStore(path, tmp_path)
    assert path.read_bytes() == before


def test_two_writers_lose_nothing_and_the_last_decision_wins(tmp_path):
    path = tmp_path / "reviews.sqlite"
    ReviewStore(path, tmp_path)

    def tab(name: str) -> None:
        store = ReviewStore(path, tmp_path)  # each tab its own connection
        for n in range(40):
            store.save(a_review(n * 10 + (name == "b"), reviewer=name))

    threads = [threading.Thread(target=tab, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = ReviewStore(path, tmp_path)
    assert len(store.all()) == 80
    store.save(a_review(0, "rejected", "b"))
    store.save(a_review(0, "corrected", "a"))
    mine = [r for r in store.all() if r.start == 0]
    assert [(r.decision, r.reviewer) for r in mine] == [("corrected", "a")]


# -- corrections --------------------------------------------------------------------------------
GOOD = {"metric": "deminers", "value": "40", "unit": "count", "qualifier": "exact", "date": "2022-03", "period_start": "", "location": "Chad"}
BAD = [
    ({"date": "2022-13"}, "date '2022-13' is not an ISO 8601 date"),
    ({"date": "last May"}, "date 'last May' is not an ISO 8601 date"),
    ({"date": "2023-02-29"}, "not an ISO 8601 date on the calendar"),
    ({"period_start": "03/2020"}, "period_start '03/2020' is not an ISO 8601 date"),
    ({"period_start": "2023"}, "period_start 2023 is after date 2022-03"),
    ({"value": "-5"}, "value -5 is negative"),
    ({"value": "many"}, "value 'many' is not a number"),
    ({"value": "nan"}, "is not a finite number"),
    ({"metric": "mines_eaten"}, "metric 'mines_eaten' is not in the taxonomy"),
    ({"metric": ""}, "metric is empty"),
    ({"unit": "hectare"}, "unit 'hectare' is not a unit of count, which deminers counts"),
    ({"unit": "furlong"}, "unit 'furlong' is not a known unit"),
    ({"qualifier": "maybe"}, "qualifier 'maybe' is not one of"),
    ({"metric": "map_accuracy", "unit": "percent", "value": "140"}, "more than 100 percent"),
]


@pytest.mark.parametrize("change,reason", BAD, ids=[b[1][:40] for b in BAD])
def test_bad_corrections_are_refused_with_the_reason(vocab, change, reason):
    with pytest.raises(InvalidReview, match=reason.replace("(", r"\(")):
        check_fields({**GOOD, **change}, vocab)


def test_good_corrections_are_cleaned(vocab):
    out = check_fields({**GOOD, "value": "1,250.50", "unit": "", "metric": "clearance_cost"}, vocab)
    assert out["value"] == "1250.5" and out["unit"] == "usd"
    assert check_fields({**GOOD, "metric": "funding", "unit": "EUR", "value": "3"}, vocab)["unit"] == "eur"


def test_sentence_around():
    body = "Title line\nThe army said 40 mines were found. Another 12 were destroyed! End"
    at = body.index("12")
    assert sentence_around(body, at, at + 2) == "Another 12 were destroyed!"
    at = body.index("40")
    assert sentence_around(body, at, at + 2) == "The army said 40 mines were found."


# -- commands on a small corpus -------------------------------------------------------------------
@pytest.fixture(scope="module")
def project(tmp_path_factory, nlp):
    """A project folder: one seed article, its raw claims table."""
    from pipeline.extract import extract_corpus

    work = tmp_path_factory.mktemp("review")
    (work / "corpus").mkdir()
    shutil.copy(SEED, work / "corpus" / SEED.name)
    result = extract_corpus(work / "corpus", nlp=nlp)
    (work / "out").mkdir()
    write_claims(result.table, work / "out" / "raw.csv")
    return work


def fresh(project: Path, tmp_path: Path) -> Path:
    shutil.copytree(project, tmp_path / "p")
    return tmp_path / "p"


def review_all(work: Path) -> tuple[list[dict], ReviewStore]:
    """Every claim of the seed reviewed: the first rejected, the second corrected, the rest
    confirmed, and one claim added."""
    table = read_claims(work / "out" / "raw.csv")
    store = ReviewStore(work / "out" / "reviews.sqlite", work / "corpus")
    body = read_article(work / "corpus" / SEED.name).body
    rows = table.to_dict("records")
    for i, row in enumerate(rows):
        decision = "rejected" if i == 0 else "corrected" if i == 1 else "confirmed"
        fields = {"value": str(float(row["value"]) * 2)} if decision == "corrected" else {}
        store.save(Review(*claim_key(row), decision, fields, row_fields(row), body_digest(body), "tester", "2026-01-01"))
    at = body.index("landmine")
    fields = {"metric": "mine_casualties", "value": "1", "unit": "count", "qualifier": "exact", "date": "2020", "date_basis": "stated", "period_start": "",
              "surface": "landmine", "sentence": "x", "start": at, "end": at + 8, "published": "2020", "location": "", "region": ""}  # fmt: skip
    store.save(Review(SEED.stem, at, at + 8, "landmine", "mine_casualties", "added", fields, None, body_digest(body), "tester", "2026-01-01"))
    return rows, store


def test_export_gold_round_trip_through_claims_eval(project, tmp_path):
    work = fresh(project, tmp_path)
    rows, _ = review_all(work)
    gold = work / "out" / "gold.csv"
    proc = run("review", "--claims", "out/raw.csv", "--corpus", "corpus", "--export-gold", str(gold), cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert f"gold: {len(rows)} claims from 1 fully reviewed article(s)" in proc.stdout
    written = read_claims(gold)
    assert list(written.columns)[:8] == ["article_id", "metric", "value", "unit", "qualifier", "date", "period_start", "surface"]
    assert sorted(written["note"]) == sorted(["corrected", "added"] + ["confirmed"] * (len(rows) - 2))
    proc = run("eval", "--gold", str(gold), "--claims", "out/raw.csv", "--json", "out/eval.json", cwd=work)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((work / "out" / "eval.json").read_text())
    claim = report["levels"]["claim"] if "levels" in report else report["claim"]
    # the pipeline's table against the reviewed gold: the rejected and the corrected claim
    # are spurious, the corrected and the added claim missed
    assert (claim["tp"], claim["fp"], claim["fn"]) == (len(rows) - 2, 2, 2)


def test_an_article_not_fully_reviewed_is_no_gold(project, tmp_path):
    work = fresh(project, tmp_path)
    rows, store = review_all(work)
    store.delete(claim_key(rows[-1]))
    raw = read_claims(work / "out" / "raw.csv")
    assert gold_table(raw, store.all()).empty


def test_extract_applies_reviews_and_no_reviews_writes_raw(project, tmp_path):
    work = fresh(project, tmp_path)
    rows, _ = review_all(work)
    proc = run("extract", "--corpus", "corpus", "--out", "out/claims.csv", "--jobs", "1", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert f"reviews applied: {len(rows) - 2} confirmed, 1 corrected, 1 added, 1 rejected" in proc.stdout
    table = read_claims(work / "out" / "claims.csv")
    assert list(table.columns) == COLUMNS and COLUMNS[-3:] == ["location", "region", "review"]
    assert claim_key(rows[0]) not in {claim_key(r) for r in table.to_dict("records")}
    assert sorted(table["review"]) == sorted(["corrected", "added"] + ["confirmed"] * (len(rows) - 2))
    fixed = table[table["review"] == "corrected"].iloc[0]
    assert float(fixed["value"]) == 2 * float(rows[1]["value"])
    proc = run("extract", "--corpus", "corpus", "--out", "out/claims.csv", "--jobs", "1", "--no-reviews", cwd=work)
    assert proc.returncode == 0, proc.stderr
    raw = read_claims(work / "out" / "claims.csv")
    assert len(raw) == len(rows) and set(raw["review"]) == {""}
    # eval reads tables with or without the column
    assert run("eval", "--gold", "tests/regression/gold.csv", "--claims", str(work / "out" / "claims.csv")).returncode == 0


def test_orphans_are_listed_never_dropped(project, tmp_path):
    work = fresh(project, tmp_path)
    rows, _ = review_all(work)
    path = work / "corpus" / SEED.name
    text = path.read_text(encoding="utf-8")
    first = rows[2]["surface"]
    # the article is edited: one reviewed figure is gone, the rest is in place
    body = read_article(path).body
    new_body = body[: rows[2]["start"]] + "many" + body[rows[2]["end"] :]
    path.write_text(text.replace(body, new_body), encoding="utf-8")
    proc = run("review", "--claims", "out/raw.csv", "--corpus", "corpus", "--orphans", cwd=work)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    orphaned = [l for l in lines if f"{rows[2]['start']}-{rows[2]['end']}" in l]
    assert orphaned and "article changed" in orphaned[0] and repr(first) in orphaned[0]
    assert len(load_reviews(work / "out" / "reviews.sqlite", work / "corpus")) == len(rows) + 1  # still stored
    proc = run("extract", "--corpus", "corpus", "--out", "out/claims.csv", "--jobs", "1", cwd=work)
    assert "orphaned" in proc.stderr and "claims review --orphans" in proc.stderr


def test_commands_refuse_another_corpus_with_one_line(project, tmp_path):
    work = fresh(project, tmp_path)
    review_all(work)
    (work / "other").mkdir()
    shutil.copy(SEED, work / "other" / SEED.name)
    write_claims(read_claims(work / "out" / "raw.csv"), work / "out" / "claims.csv")
    before = (work / "out" / "claims.csv").read_bytes()
    for args in (["extract", "--corpus", "other", "--out", "out/claims.csv"], ["review", "--claims", "out/claims.csv", "--corpus", "other", "--orphans"]):
        proc = run(*args, cwd=work)
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and f"reviews made for corpus {work / 'corpus'}, not {work / 'other'}" in lines[0], proc.stderr
    assert (work / "out" / "claims.csv").read_bytes() == before


def test_review_command_serves_on_localhost(project, tmp_path):
    import subprocess
    import sys

    work = fresh(project, tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "review", "--claims", "out/raw.csv", "--port", "0"], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "at http://127.0.0.1:" in line, line + proc.stderr.read() if proc.poll() is not None else line
        url = line.split(" at ")[1].split()[0]
        state = json.load(urllib.request.urlopen(url + "api/state", timeout=10))
        assert len(state["items"]) == len(read_claims(work / "out" / "raw.csv"))
        page = urllib.request.urlopen(url, timeout=10)
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert not any(s in page.read().decode() for s in ("http://", "https://"))  # nothing fetched from the network
        # a bad correction is refused by the server too, with the reason
        key = state["items"][0]["key"]
        req = urllib.request.Request(url + "api/decide", json.dumps({"key": key, "decision": "corrected", "fields": {"value": "-3"}}).encode(), {"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 400 and "negative" in json.load(err.value)["error"]
        # a form posted from another site is refused
        req = urllib.request.Request(url + "api/decide", b"decision=rejected", {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 403
        # a page of another site that renamed itself to our address (DNS rebinding) gets nothing
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(urllib.request.Request(url + "api/state", headers={"Host": "evil.example"}), timeout=10)
        assert err.value.code == 403
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_review_command_without_a_table(tmp_path):
    (tmp_path / "corpus").mkdir()
    shutil.copy(SEED, tmp_path / "corpus" / SEED.name)
    proc = run("review", "--claims", "out/claims.csv", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "claims: out/claims.csv: claims file not found; run claims extract first"
    assert not (tmp_path / "out").exists()


def test_report_marks_reviewed_figures(project):
    from pipeline.report import build_report

    table = read_claims(project / "out" / "raw.csv")
    table["review"] = ["confirmed"] + [""] * (len(table) - 1)
    page = build_report(table)
    assert page.count('class="reviewed confirmed"') == 1
