"""A corpus in, the claims table out.

Reads the corpus, takes what the result cache holds, cuts the rest into batches and hands
them to a runner (this process, a pool of local workers: pipeline.batches; Dask workers:
pipeline.cluster), each of which runs the spaCy pipeline of pipeline.nlp; the rows come
back here and become the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pandas as pd
from spacy.language import Language

from .batches import ClusterError, article_chars, batched, run_in_pool, run_in_process, worker_init, worker_run
from .cache import ResultCache
from .corpus import Article, CorpusError, corpus_files, iter_files
from .domain import DEFAULT_MODELS_DIR, load_domain
from .nlp import BatchResult, ModelNotInstalled, article_rows, batch_result, build_nlp, make_doc, max_chars
from .table import claims_frame, dedupe

__all__ = ["ClusterError", "ExtractResult", "ModelNotInstalled", "build_nlp", "extract_articles", "extract_corpus", "extract_text", "make_doc"]


def extract_articles(
    articles: Iterable[Article],
    nlp: Language | None = None,
    keep_other: bool = False,
    failures: list[CorpusError] | None = None,
) -> pd.DataFrame:
    """Claims of these articles as the contract table."""
    nlp = nlp or build_nlp()
    meta = nlp.meta.get("claims", {})
    size = int(meta.get("batch_size", 16))
    rows: list[dict] = []
    for batch in batched(articles, size, article_chars, int(meta.get("batch_chars", 0))):
        for article_rows_ in article_rows(batch, nlp, keep_other, failures).values():
            rows.extend(article_rows_)
    return claims_frame(dedupe(rows))


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
    # a worker (or this process's own pipeline) is built afresh after this many batches: the
    # strings of every article read stay in spaCy's vocabulary, which only grows
    recycle = int(domain.config["nlp"].get("recycle_batches", 0))
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

    todo = batched(misses(), batch_size, article_chars, int(domain.config["nlp"].get("batch_chars", 0)))
    try:
        if scheduler:
            from .cluster import run_batches

            results = run_batches(todo, scheduler, models_dir, domain.digest, keep_other, workers=jobs)
        elif jobs > 1:
            results = run_in_pool(todo, partial(worker_run, keep_other=keep_other), jobs, worker_init, (models_dir,), recycle)
        else:
            built: list[Language] = [nlp] if nlp is not None else []
            served = [0]  # batches done by the pipeline in `built`

            def in_process(batch: list[Article]) -> BatchResult:
                if nlp is None and recycle and served[0] >= recycle:
                    built.clear()  # a pipeline built here starts afresh: memory stays flat
                    served[0] = 0
                if not built:  # a fully cached run never loads spaCy
                    built.append(build_nlp(models_dir))
                served[0] += 1
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
