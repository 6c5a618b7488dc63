"""`policywatch bench pipeline`: the real flow over the synthetic site, then a run that finds nothing new."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.bench.pipeline import ChildPeaks, Corpus
from flows.cli import app


def _value(output: str, measure: str) -> str:
    match = re.search(rf"{re.escape(measure)}\s*│\s*([^│\s]+)", output)
    assert match, f"{measure!r} missing from:\n{output}"
    return match.group(1)


def test_bench_pipeline_loads_every_document_then_finds_nothing_new(
    prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYWATCH_HOME", str(tmp_path))  # the command points it at its own folder; restored after
    result = CliRunner().invoke(app, ["bench", "pipeline", "--docs", "150"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert _value(result.output, "full load: new documents") == "150"
    assert _value(result.output, "no-change run: new documents") == "0"
    assert float(_value(result.output, "full load: peak RSS of the flow's process (MiB)")) > 50


def test_bench_pipeline_runs_the_parse_stage_on_the_runner_it_is_given(
    prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYWATCH_HOME", str(tmp_path))
    monkeypatch.setenv("POLICYWATCH_PARSE_RUNNER", "local")  # the command sets it: restored after
    # 20 pages: under the LocalCluster's threshold, parsed in-process (tests/test_parse_dask.py runs a cluster)
    result = CliRunner().invoke(app, ["bench", "pipeline", "--docs", "20", "--runner", "dask"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert re.search(r"parse runner\s+dask", result.output)  # the title wraps at the table's width
    assert _value(result.output, "full load: new documents") == "20"
    bad = CliRunner().invoke(app, ["bench", "pipeline", "--runner", "ray"], terminal_width=200)
    assert "POLICYWATCH_PARSE_RUNNER must be one of local, dask" in bad.output + str(bad.exception)


def test_the_synthetic_site_lists_every_document_once_newest_first() -> None:
    corpus = Corpus(250)
    hrefs = [re.findall(rb"href='/doc/(\d+)\.html'", corpus.list_page(n)) for n in range(3)]
    assert [int(h) for page in hrefs for h in page] == list(range(249, -1, -1))
    assert b"a class='next'" in corpus.list_page(1) and b"a class='next'" not in corpus.list_page(2)
    assert corpus.page(7) == Corpus(250).page(7) and corpus.title(7).encode() in corpus.page(7)


def test_child_peaks_sees_a_child_process() -> None:
    import subprocess
    import sys

    with ChildPeaks(every=0.05) as peaks:
        subprocess.run([sys.executable, "-c", "import time; x = bytearray(60 << 20); time.sleep(1.0)"], check=True)
    assert peaks.peaks["other"] >= 60  # not a multiprocessing worker: counted as another child
    assert peaks.peaks["together"] >= peaks.peaks["other"]


def test_child_peaks_reports_a_named_child_apart_from_the_pipeline() -> None:
    import subprocess
    import sys

    site = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(80 << 20); time.sleep(1.5)"])
    try:
        # Two samplers over the same children (a test session has others: Prefect's test server).
        with ChildPeaks(every=0.05, named={site.pid: "site"}) as named, ChildPeaks(every=0.05) as plain:
            site.wait(10)
    finally:
        site.kill()
    assert named.peaks["site"] >= 80 and plain.peaks["other"] >= 80  # a role's peak is its largest child
    assert plain.peaks["together"] - named.peaks["together"] >= 60  # not part of the pipeline's total


def test_the_synthetic_site_with_attachments_hands_every_fourth_text_over_as_a_file() -> None:
    from parsers.attachment_merge import read_file

    corpus = Corpus(40, attachments=True)
    files = [corpus.file_of(i) for i in range(40)]
    assert [i for i, f in enumerate(files) if f] == list(range(0, 40, 4))
    assert {f.rsplit(".", 1)[1] for f in files if f} == {"pdf", "docx"}
    for path in (files[0], files[4]):
        assert path is not None and f"href='{path}'".encode() in corpus.page(files.index(path))
        assert read_file(corpus.file(path) or b"", path).status == "ok"
    assert corpus.file("/files/5.docx") is None and Corpus(40).file_of(0) is None


def test_bench_pipeline_attachments_measures_both_runs(
    prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYWATCH_HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "250")  # one line a measure
    result = CliRunner().invoke(app, ["bench", "pipeline", "--docs", "40", "--attachments"])
    assert result.exit_code == 0, result.output
    row = re.search(r"attachment files read with text\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\S+)", result.output)
    assert row and row.groups() == ("0", "10", "+10"), result.output
