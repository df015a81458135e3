"""Extraction on a Dask cluster: the same batches as a local run, on Dask workers.

The client reads the corpus (so the cache and the bad-file reports work as in a local
run) and submits batches of articles as tasks; a worker plugin ships the content of
``models/`` to every worker, which builds the spaCy pipeline once, when it joins. Results
come back to the client, which writes the same sorted table as a local run.

Faults: a task whose worker dies is run again on another worker by the scheduler. A
batch that cannot be finished (its workers died more often than the scheduler allows)
loses no article silently: the run finishes the rest and then stops with an error naming
every article not done. An article that crashes the pipeline is reported and the others
go on, as in a local run.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

import dask
from distributed import Client, LocalCluster, as_completed
from distributed.diagnostics.plugin import WorkerPlugin

from .batches import ClusterError
from .corpus import Article
from .nlp import BatchResult, batch_result, build_nlp

PLUGIN_NAME = "mine-claims-pipeline"
CONNECT_TIMEOUT_S = 15.0
# Worker settings for `--scheduler local`, measured on the benchmark corpus: Dask's nanny
# sets MALLOC_TRIM_THRESHOLD_=65536 for its workers, which makes spaCy's many small
# allocations some 10 % slower; and its statistical profiler samples the running task's
# stack every 10 ms. Neither is of use to a batch run. (On an existing cluster, set the
# same keys in the workers' Dask configuration.)
LOCAL_CLUSTER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
}
# the pipeline a worker process built, its models' digest, and how often it was built
_STATE: dict[str, Any] = {"loads": 0}
_LOCK = threading.Lock()


def models_payload(models_dir: str | Path) -> dict[str, bytes]:
    """The files of a models folder, to rebuild it on workers that lack it."""
    root = Path(models_dir)
    return {p.name: p.read_bytes() for p in sorted(root.iterdir()) if p.is_file()}


def load_pipeline(models: dict[str, bytes], digest: str) -> None:
    """Build the pipeline in this worker process from the shipped models (once per digest)."""
    with _LOCK:
        if _STATE.get("digest") == digest:
            return
        folder = Path(tempfile.mkdtemp(prefix="mine-claims-models-"))
        for name, data in models.items():
            (folder / name).write_bytes(data)
        nlp = build_nlp(folder)
        old = _STATE.get("folder")
        _STATE.update(nlp=nlp, digest=digest, folder=folder, loads=_STATE["loads"] + 1)
        if old:
            shutil.rmtree(old, ignore_errors=True)


def pipeline_loads() -> int:
    """How many times this worker process built the pipeline (the tests ask workers)."""
    return int(_STATE["loads"])


class PipelinePlugin(WorkerPlugin):
    """Loads the pipeline on every worker when it starts, and on workers that join later
    (a restarted one included)."""

    name = PLUGIN_NAME

    def __init__(self, models: dict[str, bytes], digest: str):
        self.models = models
        self.digest = digest

    def setup(self, worker) -> None:
        load_pipeline(self.models, self.digest)


def run_batch(batch: list[Article], keep_other: bool, digest: str) -> BatchResult:
    """One task: the rows of a batch of articles, and the articles that failed."""
    if _STATE.get("digest") != digest:
        raise ClusterError(f"worker has no pipeline for models {digest} (the worker plugin did not run)")
    with _LOCK:  # one pipeline per process: tasks on threads of one worker take turns
        return batch_result(batch, _STATE["nlp"], keep_other)


@contextmanager
def connect(scheduler: str, workers: int) -> Iterator[Any]:
    """A client of the scheduler at `scheduler`, or of a LocalCluster of `workers` worker
    processes on 127.0.0.1 when `scheduler` is "local"."""
    quiet = logging.ERROR
    if scheduler == "local":
        with dask.config.set(LOCAL_CLUSTER_CONFIG):
            cluster = LocalCluster(
                n_workers=max(1, workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address="127.0.0.1:0", silence_logs=quiet,
            )  # fmt: skip
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    with open_client(scheduler, CONNECT_TIMEOUT_S) as client:
        yield client


@contextmanager
def open_client(scheduler: str, timeout: float) -> Iterator[Any]:
    """A client of a remote scheduler within `timeout` seconds, or ClusterError. Dask's
    own timeout covers the TCP connect only: a server that accepts and never answers
    would hold the call for ever, so the connection is made on a daemon thread and given
    up at the same bound."""
    box: dict[str, Any] = {}

    def make() -> None:
        try:
            box["client"] = Client(scheduler, timeout=f"{timeout:g}s")
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=make, name="dask-connect", daemon=True)
    thread.start()
    thread.join(timeout + 5)
    if "client" not in box:
        exc = box.get("error")
        why = f"{type(exc).__name__}: {exc}" if exc else f"no answer within {timeout:g} s: is it a Dask scheduler?"
        raise ClusterError(f"{scheduler}: cannot reach the Dask scheduler ({why})")
    with box["client"] as client:
        yield client


def run_batches(
    batches: Iterable[list[Article]],
    scheduler: str,
    models_dir: str | Path,
    digest: str,
    keep_other: bool,
    workers: int = 2,
) -> Iterator[tuple[list[Article], Any]]:
    """Yield (batch, task result) as tasks finish; at the end, raise ClusterError naming
    the articles of batches that could not be done. Driven from the caller's thread: the
    `batches` generator is advanced there only."""
    lost: list[str] = []
    reasons: set[str] = set()
    with connect(scheduler, workers) as client:
        client.register_plugin(PipelinePlugin(models_payload(models_dir), digest), name=PLUGIN_NAME)
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        window = 2 * n_workers  # batches in flight: enough to keep workers busy, memory flat
        pending = as_completed()
        batch_of: dict[str, list[Article]] = {}

        def finished(future) -> Iterator[tuple[list[Article], Any]]:
            batch = batch_of.pop(future.key)
            if future.status == "finished":
                yield batch, future.result()
            else:
                lost.extend(a.article_id for a in batch)
                reasons.add(f"{type(future.exception()).__name__}: {future.exception()}")
            future.release()

        for batch in batches:
            future = client.submit(run_batch, batch, keep_other, digest, pure=False, retries=1)
            batch_of[future.key] = batch
            pending.add(future)
            while pending.count() >= window:
                yield from finished(next(pending))
        for future in pending:
            yield from finished(future)
    if lost:
        shown = ", ".join(sorted(lost)[:20]) + (f" and {len(lost) - 20} more" if len(lost) > 20 else "")
        raise ClusterError(f"{len(lost)} article(s) not done on the cluster ({'; '.join(sorted(reasons))}): {shown}")
