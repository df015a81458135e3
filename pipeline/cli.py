"""The `claims` command: a thin layer over functions a user can call from Python."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from . import __version__


def _err(msg: str) -> None:
    print(f"claims: {msg}", file=sys.stderr)


def _output_ok(out: str, inputs: tuple = (), folders: tuple = ()) -> bool:
    """The shared check of an output path, before any work: False (and one error line)
    when it is an input, lies in an input folder, or cannot be written."""
    from .storage import OutputError, check_output

    try:
        check_output(out, inputs, folders)
    except OutputError as exc:
        _err(f"{exc}; nothing done")
        return False
    return True


def cmd_extract(args: argparse.Namespace) -> int:
    from .corpus import CorpusError, corpus_files
    from .domain import DomainError
    from .extract import ClusterError, ModelNotInstalled, extract_corpus
    from .storage import local_path
    from .table import write_claims

    if not _output_ok(args.out, inputs=(args.reviews,), folders=(args.corpus,)):
        return 2
    # the cache is a local SQLite file beside the output; an output elsewhere runs uncached
    out_dir = local_path(args.out)
    reviews = None if args.no_reviews else args.reviews or (out_dir.parent / "reviews.sqlite" if out_dir else None)
    if reviews is not None and not _output_ok(args.out, inputs=(reviews,)):
        return 2
    if reviews is not None and os.path.exists(reviews):
        from .review import ReviewError, load_reviews

        try:
            reviews = load_reviews(reviews, args.corpus)
        except ReviewError as exc:
            _err(f"{exc}; {args.out} left as it was")
            return 2
    else:
        reviews = None
    cache = None if args.no_cache or out_dir is None else out_dir.parent / "cache.sqlite"
    bar = None
    if sys.stderr.isatty() and not args.quiet:
        from tqdm import tqdm

        try:
            total = len(corpus_files(args.corpus))
        except CorpusError:
            total = None
        bar = tqdm(total=total, unit="article", file=sys.stderr, leave=False)
    try:
        result = extract_corpus(
            args.corpus,
            models_dir=args.models,
            keep_other=args.all,
            jobs=args.jobs,
            cache=cache,
            progress=bar.update if bar else None,
            scheduler=args.scheduler,
        )
    except (CorpusError, DomainError, ModelNotInstalled) as exc:
        _err(str(exc))
        return 2
    except ClusterError as exc:
        _err(f"{exc}; {args.out} left as it was (finished articles are cached: run again to do the rest)")
        return 1
    finally:
        if bar:
            bar.close()
    for failure in result.failures:
        _err(str(failure))
    if result.articles == 0:
        _err(f"{args.corpus}: no article could be read; {args.out} left as it was")
        return 1
    table, applied = result.table, None
    if reviews:
        from .review import apply_with_corpus

        table, applied = apply_with_corpus(table, reviews, args.corpus)
    try:
        write_claims(table, args.out)
    except OSError as exc:
        _err(f"{args.out}: cannot be written ({exc.strerror or exc}); left as it was")
        return 2
    if applied and applied.orphans:
        _err(f"{len(applied.orphans)} review(s) orphaned (their article changed) and not applied; see claims review --orphans")
    if not args.quiet:
        df = table
        cached = f" ({result.cached} from cache)" if result.cached else ""
        print(f"articles: {result.articles}{cached}   claims: {len(df)}   -> {args.out}")
        if applied:
            print(f"reviews applied: {applied}")
        for metric, n in df["metric"].value_counts().sort_index().items():
            print(f"  {metric:<24} {n}")
    if result.failures:
        _err(f"{len(result.failures)} article(s) failed and were skipped:")
        for failure in result.failures:
            print(f"  {failure.path}: {failure.problem}", file=sys.stderr)
        return 1
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from .corpus import shown
    from .ingest import IngestError, ingest

    try:
        result = ingest(
            args.sources,
            corpus_dir=args.corpus,
            published=args.published,
            title=args.title,
            outlet=args.outlet,
            url=args.url,
            author=args.author,
            timeout=args.timeout,
            max_bytes=args.max_bytes,
        )
    except IngestError as exc:
        _err(f"{exc}; nothing ingested")
        return 2
    for source, article_id in result.added:
        print(f"added {shown(source)} -> {shown(Path(args.corpus) / (article_id + '.txt'))}")
    for source, existing in result.duplicates:
        _err(f"{shown(source)}: already in corpus as {existing}; skipped")
    for failure in result.failed:
        _err(str(failure))
    if not result.ok:
        _err(f"{len(result.added)} added, {len(result.duplicates)} already in corpus, {len(result.failed)} failed")
        return 1
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .storage import write_atomic
    from .evaluate import EvalError, evaluate_files, format_report

    if args.suite:
        from .accuracy import format_suite, suite, summary

        out = args.json or "outputs/accuracy.json"
        if not _output_ok(out):
            return 2
        reports = suite(Path(args.devset) if args.devset else None)
        print(format_suite(reports))
        write_atomic(out, json.dumps(summary(reports), indent=2, ensure_ascii=False) + "\n")
        print(f"-> {out}")
        return 0

    if args.json and not _output_ok(args.json, inputs=(args.gold, args.claims)):
        return 2
    try:
        report = evaluate_files(args.gold, args.claims)
    except EvalError as exc:
        _err(str(exc))
        return 2
    print(format_report(report))
    if args.json:
        write_atomic(args.json, json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    if args.min_f1 is not None and report.claim_f1 < args.min_f1:
        _err(f"claim F1 {report.claim_f1:.3f} is below --min-f1 {args.min_f1}")
        return 1
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from .review import ReviewError, default_reviews_path

    reviews = args.reviews or str(default_reviews_path(args.claims))
    if args.export_gold and not _output_ok(args.export_gold, inputs=(args.claims, reviews), folders=(args.corpus,)):
        return 2
    try:
        if args.orphans or args.export_gold:
            from .review import export_gold, orphan_lines

            if args.orphans:
                lines = orphan_lines(reviews, args.corpus)
                print("\n".join(lines) if lines else f"no orphaned reviews in {reviews}")
            if args.export_gold:
                articles, claims = export_gold(args.claims, reviews, args.corpus, args.export_gold)
                print(f"gold: {claims} claims from {articles} fully reviewed article(s) -> {args.export_gold}")
            return 0
        from .review_app import serve

        return serve(args.claims, args.corpus, reviews, args.host, args.port, args.models, args.reviewer)
    except ReviewError as exc:
        _err(str(exc))
        return 2


def _from_table(step, out: str):
    """Run a step that reads a claims table and writes `out`; a bad table, bad settings or
    an unwritable output is one error line (the old output stays), and None."""
    from .domain import DomainError
    from .evaluate import EvalError

    try:
        return step()
    except (EvalError, DomainError) as exc:
        _err(str(exc))
    except OSError as exc:
        _err(f"{out}: cannot be written ({exc.strerror or exc}); left as it was")
    return None


def cmd_check(args: argparse.Namespace) -> int:
    from .checks import RULES, check_file

    if not _output_ok(args.out, inputs=(args.claims,)):
        return 2
    findings = _from_table(lambda: check_file(args.claims, args.out, args.models), args.out)
    if findings is None:
        return 2
    counts = findings["rule"].value_counts()
    summary = ", ".join(f"{counts.get(r, 0)} {r}" for r in RULES)
    if not args.quiet:
        print(f"{len(findings)} finding(s): {summary} -> {args.out}")
        for f in findings.to_dict("records"):
            print(f"  {f['rule']:<10} {f['location']} / {f['metric']}: {f['detail']}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .report import report_file

    if not _output_ok(args.out, inputs=(args.claims,), folders=(args.corpus,)):
        return 2
    counts = _from_table(lambda: report_file(args.claims, args.out, corpus_dir=args.corpus, models_dir=args.models), args.out)
    if counts is None:
        return 2
    if counts["sources_found"] < counts["articles"]:
        missing = counts["articles"] - counts["sources_found"]
        _err(f"{args.corpus}: {missing} of {counts['articles']} article(s) not found; their sources show as ids only")
    if not args.quiet:
        print(f"report: {counts['claims']} claims from {counts['articles']} articles -> {args.out}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import main as bench_main

    if not _output_ok(args.out):
        return 2
    return bench_main(["--sizes", args.sizes, "--out", args.out])


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are one line naming the flag and the problem, like every other error."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _number(kind: type, low: float, high: float | None = None, what: str = "a number", above: bool = False):
    """An argparse type: a finite number from `low` (or `above` it) up to `high`; nan,
    inf, 0 seconds or -1 bytes are refused with one line."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        too_low = value <= low if above else value < low
        if not math.isfinite(value) or too_low or (high is not None and value > high):
            bound = f"above {low:g}" if above else f"from {low:g}" + (f" to {high:g}" if high is not None else " up")
            raise argparse.ArgumentTypeError(f"{text!r} is not {what} {bound}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="claims", description="Extract and score mine-action figures.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    e = sub.add_parser("extract", help="write the claims table from a corpus folder")
    e.add_argument("--corpus", default="corpus", help="corpus folder or fsspec URL, e.g. s3://bucket/corpus (default: corpus)")
    e.add_argument("--out", default="outputs/claims.csv", help="claims CSV, or Parquet when it ends in .parquet; a path or fsspec URL (default: outputs/claims.csv)")
    e.add_argument("--all", action="store_true", help="also list figures that fit no metric, as 'other'")
    e.add_argument("--models", default=None, help="domain model folder (default: the project's models/)")
    e.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors (and no progress bar)")
    e.add_argument("--jobs", "-j", type=_number(int, 1, what="a whole number"), default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    e.add_argument("--no-cache", action="store_true", help="process every article again (the cache is <out folder>/cache.sqlite)")
    e.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on a Dask cluster: a scheduler address (tcp://host:8786), or 'local' for a LocalCluster of --jobs workers",
    )
    e.add_argument("--reviews", default=None, help="reviews to apply (default: reviews.sqlite beside --out, when it exists)")
    e.add_argument("--no-reviews", action="store_true", help="write the pipeline's own output, without applying reviews")
    e.set_defaults(func=cmd_extract)

    i = sub.add_parser("ingest", help="add articles to the corpus from files, web pages, URLs or stdin (-)")
    i.add_argument("sources", nargs="+", metavar="PATH_OR_URL")
    i.add_argument("--corpus", default="corpus", help="corpus folder (default: corpus)")
    i.add_argument("--published", help="publication date, YYYY[-MM[-DD]] (overrides the input)")
    i.add_argument("--title")
    i.add_argument("--outlet")
    i.add_argument("--url")
    i.add_argument("--author")
    i.add_argument("--timeout", type=_number(float, 0, what="a number of seconds", above=True), default=20.0, help="seconds to wait for a URL (default 20)")
    i.add_argument("--max-bytes", type=_number(int, 1, what="a whole number of bytes"), default=20 * 1024 * 1024, help="size cap per input (default 20 MB)")
    i.set_defaults(func=cmd_ingest)

    v = sub.add_parser("eval", help="score a claims table against hand-labeled gold")
    v.add_argument("--gold", default="tests/regression/gold.csv")
    v.add_argument("--claims", default="outputs/claims.csv")
    v.add_argument("--json", default=None, help="also write the full report as JSON")
    v.add_argument("--min-f1", type=_number(float, 0, 1, what="an F1 score"), default=None, help="exit 1 when claim-level F1 is below this (0 to 1)")
    v.add_argument("--suite", action="store_true", help="score every gold set of the project (seeds, synthetic, case sentences, --devset) and write outputs/accuracy.json")
    v.add_argument("--devset", default="../shared/devset", help="with --suite: a folder with corpus/ and gold.csv, scored when present (default: ../shared/devset)")
    v.set_defaults(func=cmd_eval)
    c = sub.add_parser("check", help="find conflicts, regressions and outliers in a claims table")
    c.add_argument("--claims", default="outputs/claims.csv")
    c.add_argument("--out", default="outputs/conflicts.csv", help="findings CSV (default: outputs/conflicts.csv)")
    c.add_argument("--models", default=None, help="domain model folder with checks.yaml (default: the project's models/)")
    c.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    c.set_defaults(func=cmd_check)

    r = sub.add_parser("report", help="write a self-contained HTML report of a claims table")
    r.add_argument("--claims", default="outputs/claims.csv")
    r.add_argument("--out", default="outputs/report.html", help="HTML file (default: outputs/report.html)")
    r.add_argument("--corpus", default="corpus", help="corpus folder, for outlets, titles and links (default: corpus)")
    r.add_argument("--models", default=None, help="domain model folder with report.yaml and checks.yaml")
    r.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    r.set_defaults(func=cmd_report)

    w = sub.add_parser("review", help="review claims in the browser: confirm, reject, correct, add")
    w.add_argument("--claims", default="outputs/claims.csv")
    w.add_argument("--corpus", default="corpus", help="corpus folder (default: corpus)")
    w.add_argument("--reviews", default=None, help="reviews file (default: reviews.sqlite beside --claims)")
    w.add_argument("--port", type=_number(int, 0, 65535, what="a port number"), default=8765, help="port (default 8765; 0 picks a free one)")
    w.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    w.add_argument("--reviewer", default=None, help="who reviews (default: your user name)")
    w.add_argument("--models", default=None, help="domain model folder with taxonomy.yaml (default: the project's models/)")
    w.add_argument("--orphans", action="store_true", help="list reviews whose span is no longer in its article, and stop")
    w.add_argument("--export-gold", default=None, metavar="FILE", help="write the fully reviewed articles as a gold CSV, and stop")
    w.set_defaults(func=cmd_review)

    b = sub.add_parser("bench", help="speed benchmark: figures to the terminal and outputs/bench.json")
    b.add_argument("--sizes", default="1,10,100", help="copies of the base articles (default 1,10,100)")
    b.add_argument("--out", default="outputs/bench.json")
    b.set_defaults(func=cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # "claims eval | head": the reader has gone; stop quietly, like other command-line tools
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def run() -> None:
    """The `claims` command as a program: main(), then out at once. The table is written,
    closed and renamed by then, workers are joined and clusters closed; what is left is
    the interpreter freeing the model and the place tables object by object, which takes
    longer (0.4 s) than the work of a one-article run. An error that escapes main() still
    ends the normal way, with its traceback."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    os._exit(code)


if __name__ == "__main__":
    run()
