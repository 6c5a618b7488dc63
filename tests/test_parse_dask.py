"""The parse stage on Dask (POLICYWATCH_PARSE_RUNNER=dask): real LocalClusters of 2 worker processes, the real
nightly flow, the same warehouse as the default runner."""

from __future__ import annotations

import os
from pathlib import Path
from uuid import UUID

import duckdb
import pytest
import yaml
from pytest import MonkeyPatch

from flows.bench.pipeline import Corpus
from flows.settings import DaskSettings, load_settings
from flows.tasks import parse_dask, parse_pool
from flows.tasks.parse_pool import parse_in_chunks
from flows.tasks.parse_stage import parse_stage
from parsers.errors import ConfigError
from tests.conftest import copy_seeds
from tests.test_parse_pool import raw_pages

CHUNK = 8  # small chunks: the run goes through several, more than the two kept in flight
BULK = 40  # synthetic pages beside the five seeds, with exact and near copies among them

# What must not differ between runners: each document (its identity, title, metadata, text, fingerprints),
# its topics, and its dedup group (every page recorded as it, and how).
COMPARED = {
    "documents": "SELECT doc_id, url, title, published_on, doc_number, doc_type, relevant, text FROM documents",
    "fingerprints": "SELECT doc_id, content_hash, minhash FROM core.documents",
    "topics": "SELECT doc_id, topic, score, evidence FROM document_topics",
    "dedup groups": "SELECT doc_id, url, match FROM core.document_sightings",
    "pages": "SELECT url, outcome, error FROM pages",
}


def bulk_folder(folder: Path) -> Path:
    """Synthetic policy pages, exact copies of some (other file names), near copies of others (one line more)."""
    folder.mkdir()
    corpus = Corpus(BULK)
    for i in range(BULK):
        (folder / f"doc{i:03d}.html").write_bytes(corpus.page(i))
    for i in range(0, BULK, 10):
        (folder / f"copy{i:03d}.html").write_bytes(corpus.page(i))
        near = corpus.page(i + 1).replace(b"</div>", "<p>转载自本市科技局网站。</p></div>".encode())
        (folder / f"near{i + 1:03d}.html").write_bytes(near)
    return folder


def registry(folder: Path) -> Path:
    """The seeds and the synthetic folder as two `files` sources."""
    sources = copy_seeds(folder / "seeds")
    entries = yaml.safe_load(sources.read_text(encoding="utf-8"))
    entries["sources"].append({"name": "bulk", "kind": "files", "url": str(bulk_folder(folder / "bulk"))})
    sources.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return sources


def warehouse(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {name: sorted(con.execute(sql).fetchall(), key=repr) for name, sql in COMPARED.items()}


def parse_chunk_runs(flow_run_id: UUID) -> list[str]:
    """State of each parse-chunk task run of a flow run, as the Prefect server recorded it."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return [run.state_name or "" for run in runs if run.name.startswith("parse-chunk")]


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_nightly_ingest_on_a_dask_local_cluster_loads_the_same_warehouse(
    tmp_path: Path, monkeypatch: MonkeyPatch
) -> None:
    from flows.ingest import nightly_ingest

    monkeypatch.setattr(parse_pool, "CHUNK", CHUNK)
    monkeypatch.setattr(parse_dask, "MIN_SLICE", 1)  # a slice per worker even in these small chunks
    monkeypatch.setattr(parse_pool, "POOL_THRESHOLD", 0)  # this small run goes to the pool, and to the cluster
    monkeypatch.setenv("POLICYWATCH_DASK_WORKERS", "2")
    sources = registry(tmp_path / "sources")
    runs = {}
    for runner in ("local", "dask"):
        monkeypatch.setenv("POLICYWATCH_HOME", str(tmp_path / runner))
        monkeypatch.setenv("POLICYWATCH_PARSE_RUNNER", runner)
        state = nightly_ingest(str(sources), str(tmp_path / runner / "warehouse.duckdb"), return_state=True)
        runs[runner] = state.state_details.flow_run_id
    local, dask = (warehouse(tmp_path / runner / "warehouse.duckdb") for runner in ("local", "dask"))
    assert dask == local
    assert len(local["documents"]) == 5 + BULK  # the copies collapsed into their documents
    assert {match for _, _, match in local["dedup groups"]} == {"first", "exact", "near"}
    pages = 5 + BULK + 2 * len(range(0, BULK, 10))
    chunks = [min(CHUNK, pages - start) for start in range(0, pages, CHUNK)]
    assert parse_chunk_runs(runs["dask"]) == ["Completed"] * sum(min(2, size) for size in chunks)
    assert parse_chunk_runs(runs["local"]) == []


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_parse_in_chunks_on_a_cluster_at_an_address_keeps_order_and_results(
    tmp_path: Path, monkeypatch: MonkeyPatch
) -> None:
    from distributed import LocalCluster

    monkeypatch.setattr(parse_pool, "CHUNK", 5)
    monkeypatch.setattr(parse_dask, "MIN_SLICE", 1)
    pages = raw_pages(tmp_path, 23)  # five chunks, the last short; page 3 is binary
    expected = list(parse_in_chunks(tmp_path, pages))
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster:
        dask = DaskSettings(address=cluster.scheduler_address, workers=1)  # workers: a LocalCluster's only
        chunks = list(parse_stage(tmp_path, pages, dask=dask))
        computed = cluster.scheduler.task_prefixes["parse_chunk"].state_counts["memory"]
    assert [len(c) for c in chunks] == [5, 5, 5, 5, 3]  # the address wins over the small-run threshold
    assert chunks == expected
    assert computed == 5 * 2  # each chunk in two slices, one per worker, computed on that cluster


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"POLICYWATCH_PARSE_RUNNER": "local", "POLICYWATCH_DASK_ADDRESS": "tcp://h:8786"}, None),
        ({"POLICYWATCH_PARSE_RUNNER": "dask", "POLICYWATCH_DASK_WORKERS": "3"}, DaskSettings(address=None, workers=3)),
        (
            {"POLICYWATCH_PARSE_RUNNER": "Dask", "POLICYWATCH_DASK_ADDRESS": " tcp://10.0.0.5:8786 "},
            DaskSettings(address="tcp://10.0.0.5:8786", workers=os.cpu_count() or 1),
        ),
    ],
)
def test_load_settings_reads_the_parse_runner(env: dict[str, str], expected: DaskSettings | None) -> None:
    assert load_settings(env).dask == expected


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"POLICYWATCH_PARSE_RUNNER": "ray"}, "POLICYWATCH_PARSE_RUNNER"),
        ({"POLICYWATCH_PARSE_RUNNER": "dask", "POLICYWATCH_DASK_WORKERS": "0"}, "POLICYWATCH_DASK_WORKERS"),
        ({"POLICYWATCH_PARSE_RUNNER": "dask", "POLICYWATCH_DASK_WORKERS": "two"}, "POLICYWATCH_DASK_WORKERS"),
    ],
)
def test_load_settings_refuses_a_bad_parse_runner(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(env)
