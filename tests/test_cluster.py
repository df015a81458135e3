"""Extraction on a Dask cluster (a LocalCluster of two worker processes on 127.0.0.1):
the same bytes as a local run, the pipeline loaded once per worker, and faults: a worker
killed mid-run, workers that die too often, an article that breaks the pipeline."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
from pathlib import Path

import cloudpickle
import dask
import pytest
from distributed import Client, LocalCluster

from pipeline import cluster as claims_cluster
from pipeline.extract import ClusterError, extract_corpus
from pipeline.table import to_csv_text

from conftest import run_claims

# the helpers below run inside the workers: send them by value, not by module name
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def new_cluster() -> LocalCluster:
    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=50)


@pytest.fixture(scope="module")
def cluster():
    with new_cluster() as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster):
    with Client(cluster) as c:
        yield c


def test_cluster_gives_the_same_bytes_and_loads_the_pipeline_once_per_worker(big_corpus, plain, cluster, client):
    result = extract_corpus(big_corpus, scheduler=cluster.scheduler_address, jobs=2)
    assert result.articles == 40 and not result.failures
    assert to_csv_text(result.table) == plain
    # three batches on two workers: a worker ran more than one task, and built its pipeline once
    loads = client.run(claims_cluster.pipeline_loads)
    assert len(loads) == 2 and set(loads.values()) == {1}


def test_scheduler_local_command_same_file_as_plain_run(big_corpus, plain, tmp_path):
    out = tmp_path / "claims.csv"
    proc = run_claims("extract", "--corpus", str(big_corpus), "--out", str(out), "--scheduler", "local", "--jobs", "2", "-q")
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8") == plain


def busy_worker(client: Client) -> int:
    """The pid of a worker that is running a task now."""
    pids = client.run(os.getpid)
    processing = client.processing()
    address = next((a for a, tasks in processing.items() if tasks), next(iter(pids)))
    return pids[address]


def test_a_worker_killed_mid_run_loses_no_article(big_corpus, plain, cluster, client):
    killed: list[int] = []

    def kill_once(_n: int) -> None:
        if not killed:
            killed.append(busy_worker(client))
            os.kill(killed[0], signal.SIGKILL)

    result = extract_corpus(big_corpus, scheduler=cluster.scheduler_address, jobs=2, progress=kill_once)
    assert killed and killed[0] not in client.run(os.getpid).values()  # it really died
    assert result.articles == 40 and not result.failures
    assert to_csv_text(result.table) == plain


def test_workers_dying_too_often_stop_the_run_naming_the_articles(big_corpus, plain, nlp, tmp_path):
    """With no deaths allowed, a killed worker's batch fails: the run finishes the rest,
    caches it, and stops naming the articles not done; a second run does only those."""
    cache = tmp_path / "cache.sqlite"
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), new_cluster() as strict, Client(strict) as client:
        killed: list[int] = []

        def kill_once(_n: int) -> None:
            if not killed:
                killed.append(busy_worker(client))
                os.kill(killed[0], signal.SIGKILL)

        with pytest.raises(ClusterError) as info:
            extract_corpus(big_corpus, scheduler=strict.scheduler_address, jobs=2, cache=cache, progress=kill_once)
    message = str(info.value)
    assert "not done on the cluster" in message and "KilledWorker" in message
    lost = int(re.match(r"(\d+) article\(s\) not done", message).group(1))
    named = [a for a in (p.stem for p in big_corpus.glob("*.txt")) if a in message]
    assert 0 < lost < 40 and len(named) == min(lost, 20)  # the message lists up to 20 ids
    again = extract_corpus(big_corpus, nlp=nlp, cache=cache)
    assert again.cached == 40 - lost
    assert to_csv_text(again.table) == plain


def break_on_marker() -> None:
    """In a worker: make the quantities step fail on any article containing BREAK."""
    component = claims_cluster._STATE["nlp"].get_pipe("claim_quantities")
    cls = type(component)
    original = cls.__call__

    def fragile(self, doc):
        if "BREAK" in doc.text:
            raise ValueError("boom")
        return original(self, doc)

    fragile.original = original
    cls.__call__ = fragile


def mend() -> None:
    """In a worker: undo break_on_marker (a restart of the workers would do, but it is slow
    and under load a nanny may not come back within Dask's timeout)."""
    cls = type(claims_cluster._STATE["nlp"].get_pipe("claim_quantities"))
    cls.__call__ = getattr(cls.__call__, "original", cls.__call__)


def test_an_article_that_breaks_the_pipeline_is_reported_and_the_others_go_on(big_corpus, tmp_path, cluster, client, nlp):
    corpus = tmp_path / "corpus"
    shutil.copytree(big_corpus, corpus)
    victim = sorted(corpus.glob("*.txt"))[5]
    victim.write_text(victim.read_text(encoding="utf-8") + "\nBREAK 12 mines were found.\n", encoding="utf-8")
    victim.rename(victim.with_name("zz_breaks.txt"))
    try:
        client.run(break_on_marker)
        result = extract_corpus(corpus, scheduler=cluster.scheduler_address, jobs=2)
    finally:
        client.run(mend)
    assert [Path(f.path).name for f in result.failures] == ["zz_breaks.txt"]  # named by its file
    assert "extraction failed (ValueError: boom)" in result.failures[0].problem
    assert result.articles == 39
    expected = extract_corpus(corpus, nlp=nlp)  # locally, the same article is fine
    assert to_csv_text(result.table) == to_csv_text(expected.table[expected.table["article_id"] != "zz_breaks"].reset_index(drop=True))


def test_unreachable_scheduler_is_one_clear_error(big_corpus, tmp_path):
    out = tmp_path / "claims.csv"
    proc = run_claims("extract", "--corpus", str(big_corpus), "--out", str(out), "--scheduler", "tcp://127.0.0.1:9", "-q")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "tcp://127.0.0.1:9: cannot reach the Dask scheduler" in lines[0], proc.stderr
    assert not out.exists()
