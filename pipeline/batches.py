"""Articles into batches, and batches through the pipeline (pipeline.nlp): in this process
or on a pool of local worker processes (pipeline.cluster does the same on Dask workers).

Every runner is driven from the calling thread: the caller's generator of batches, which
reads the corpus and the result cache, is only ever advanced there, and results come
back in the order the batches went in. Nothing the caller holds (an SQLite connection,
open files, threads, a spaCy pipeline) crosses into a worker: pool workers are forked
from a clean fork server that has only imported the pipeline's modules.
"""

from __future__ import annotations

import multiprocessing as mp
from collections import deque
from itertools import chain
from typing import Callable, Iterable, Iterator, TypeVar

from .corpus import Article

T = TypeVar("T")
R = TypeVar("R")
# the fork server imports these once; each worker then forks from it and builds its pipeline
PRELOAD = ["pipeline.nlp"]


class ClusterError(RuntimeError):
    """The Dask scheduler could not be reached, or articles could not be done on it."""


def batched(items: Iterable[T], size: int, weight: Callable[[T], int] | None = None, max_weight: int = 0) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items, and (with `max_weight`) of at most that
    much weight, unless one item weighs more alone: the parser's memory follows the
    characters of a batch, not its number of articles."""
    batch: list[T] = []
    held = 0
    for item in items:
        w = weight(item) if weight is not None and max_weight > 0 else 0
        if batch and max_weight > 0 and held + w > max_weight:
            yield batch
            batch, held = [], 0
        batch.append(item)
        held += w
        if len(batch) >= size:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def article_chars(article) -> int:
    """An article's weight in a batch: its characters."""
    return len(article.body)


def run_in_process(batches: Iterable[list[T]], task: Callable[[list[T]], R]) -> Iterator[tuple[list[T], R]]:
    for batch in batches:
        yield batch, task(batch)


def run_in_pool(
    batches: Iterable[list[T]],
    task: Callable[[list[T]], R],
    jobs: int,
    initializer: Callable[..., None],
    initargs: tuple = (),
    recycle: int = 0,
) -> Iterator[tuple[list[T], R]]:
    """(batch, result) in submission order, from `jobs` worker processes.

    At most two batches per worker are in flight, so memory stays flat however long the
    corpus; the next batch is drawn from `batches` in this thread, never in the pool's.
    """
    todo = iter(batches)
    first = next(todo, None)
    if first is None:
        return  # everything was cached: no worker is started
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    window = 2 * jobs
    pending: deque = deque()
    # a worker is replaced by a fresh one after `recycle` batches (0: never)
    with ctx.Pool(jobs, initializer=initializer, initargs=initargs, maxtasksperchild=recycle or None) as pool:
        for batch in chain([first], todo):
            pending.append((batch, pool.apply_async(task, (batch,))))
            while len(pending) >= window:
                done, result = pending.popleft()
                yield done, result.get()
        while pending:
            done, result = pending.popleft()
            yield done, result.get()


# -- pool workers: each builds the pipeline once --------------------------------------------
_WORKER: dict[str, object] = {}


def worker_init(models_dir: str | None) -> None:
    from .nlp import build_nlp

    _WORKER["nlp"] = build_nlp(models_dir)


def worker_run(batch: list[Article], keep_other: bool):
    """A batch's rows and failures (pipeline.nlp.batch_result) in a pool worker."""
    from .nlp import batch_result

    return batch_result(batch, _WORKER["nlp"], keep_other)  # type: ignore[arg-type]
