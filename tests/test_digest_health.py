"""The digest's source health: as of the week's end (from the run ledger), grouped and worded in Chinese."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb

from flows.tasks.digest_model import OTHER_FAILURE, build_digest, health_kind, utc_bounds
from warehouse.queries import last_nightly_run, unhealthy_sources

WEEK = "2026-W48"  # Monday 23 November to Sunday 29 November, Asia/Shanghai


def add_run(con: duckdb.DuckDBPyConnection, at: datetime, errors: dict[str, str], drift: dict[str, str]) -> None:
    summary = {"sources": {}, "source_errors": errors, "source_drift": drift, "page_errors": []}
    con.execute(
        "INSERT INTO core.runs (run_id, flow, started_at, status, summary) VALUES (?, 'nightly-ingest', ?, 'success', ?)",
        [f"run-{at:%d%H}", at, json.dumps(summary)],
    )


def test_unhealthy_sources_are_those_of_the_last_run_before_the_weeks_end(warehouse: duckdb.DuckDBPyConnection) -> None:
    dns = "unreachable: www.nhc.gov.cn does not resolve (DNS)"
    add_run(warehouse, datetime(2026, 11, 26, 18), {"nhc": dns}, {})
    add_run(warehouse, datetime(2026, 11, 27, 18), {"nhc": dns, "most": "www.most.gov.cn: timed out"}, {})
    add_run(warehouse, datetime(2026, 11, 28, 18), {"nhc": dns}, {"gd-stc": "no article"})
    add_run(warehouse, datetime(2026, 11, 30, 18), {"ndrc": "HTTP 500"}, {})  # Tuesday of the next week
    warehouse.execute(
        "INSERT INTO core.pages (url, source_name, run_id, fetched_at, outcome, error) "
        "VALUES ('https://x/1', 'sh-wsjkw', 'run-2718', '2026-11-27 18:00', 'failed', 'HTTP 404')"
    )
    problems = {p.source_name: p for p in unhealthy_sources(warehouse, *utc_bounds(WEEK))}
    assert sorted(problems) == ["gd-stc", "nhc", "sh-wsjkw"]  # not ndrc (after the week), not most (healed)
    assert problems["nhc"].consecutive_failures == 3 and problems["nhc"].last_error == dns
    assert problems["gd-stc"].drifted and problems["gd-stc"].consecutive_failures == 0
    assert problems["sh-wsjkw"].failed_pages == 1 and problems["sh-wsjkw"].consecutive_failures == 0


def test_health_kind_words_our_errors_for_a_reader() -> None:
    assert health_kind("unreachable: www.nhc.gov.cn does not resolve (DNS)") == "无法访问（域名无法解析，网络不可达）"
    assert health_kind("unreachable: cannot connect to x (refused)") == "无法访问（网络不可达）"
    assert health_kind("www.most.gov.cn: timed out (ReadTimeout)") == "访问超时"
    assert health_kind("HTTP 503 Service Unavailable") == "服务器出错（HTTP 5xx）"
    assert health_kind("something new") == OTHER_FAILURE


def test_the_footer_is_as_of_the_weeks_last_run_in_shanghai_time(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert build_digest(warehouse, WEEK).health_as_of == "2026-11-29"  # no run that week: its Sunday
    add_run(warehouse, datetime(2026, 11, 25, 18), {}, {})
    add_run(warehouse, datetime(2026, 11, 30, 18), {}, {})  # the next week's
    assert last_nightly_run(warehouse, *utc_bounds(WEEK)) == datetime(2026, 11, 25, 18)
    # an unfinished week says when its newest run was, not a Sunday still to come
    assert build_digest(warehouse, WEEK).health_as_of == "2026-11-26 02:00"
