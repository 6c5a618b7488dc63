"""The source registry: the contract's keys, their checks, and the default registry's `verified` evidence."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from flows.adapters.politeness import allowed_hosts, host_policies
from flows.sources import BROWSER_USER_AGENT, find_source, load_sources
from parsers.errors import ConfigError
from tests.conftest import REPO, SEEDS

WEB = {"name": "ndrc", "kind": "html-list", "url": "https://www.ndrc.gov.cn/xxgk/zcfb/fzggwl/index.html"}


def load(tmp_path: Path, *entries: dict[str, object]) -> list:
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": list(entries)}, allow_unicode=True), encoding="utf-8")
    return load_sources(path)


def load_text(tmp_path: Path, text: str) -> list:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return load_sources(path)


@pytest.mark.parametrize(
    ("line", "verified"),
    [
        (
            "verified: 2026-12-02 (tests/fixtures/real/www.ndrc.gov.cn/x.html)",
            "2026-12-02 (tests/fixtures/real/www.ndrc.gov.cn/x.html)",
        ),
        ("verified: 2026-12-02", "2026-12-02"),
        ("verified: no", "no"),
        ("", "no"),
    ],
)
def test_registry_reads_verified(tmp_path: Path, line: str, verified: str) -> None:
    text = f"sources:\n  - name: ndrc\n    kind: html-list\n    url: {WEB['url']}\n    {line}\n"
    assert load_text(tmp_path, text)[0].verified == verified


@pytest.mark.parametrize("value", ["yes", "2026-13-02 (x)", "soon"])
def test_registry_rejects_a_malformed_verified(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="verified must be"):
        load(tmp_path, {**WEB, "verified": value})


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("link_selecter", "link_selector"),
        ("allowed_host", "allowed_hosts"),
        ("exclude", "exclude_selector"),
        ("veryfied", "verified"),
    ],
)
def test_registry_names_a_typo_and_the_key_meant(tmp_path: Path, key: str, meant: str) -> None:
    with pytest.raises(ConfigError, match=rf"unknown key {key} \(did you mean {meant}\?\)"):
        load(tmp_path, {**WEB, key: "x"})


@pytest.mark.parametrize("required", ["name", "kind", "url"])
def test_registry_names_a_typo_of_a_required_key_not_the_missing_key(tmp_path: Path, required: str) -> None:
    entry = {k: v for k, v in WEB.items() if k != required} | {required + "d": WEB[required]}
    where = "source ndrc" if required != "name" else "source #1"
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, entry)
    assert str(caught.value) == f"{where}: unknown key {required}d (did you mean {required}?)"


@pytest.mark.parametrize("required", ["name", "kind", "url"])
def test_registry_says_a_missing_required_key_is_required(tmp_path: Path, required: str) -> None:
    where = "source ndrc" if required != "name" else "source #1"
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, {k: v for k, v in WEB.items() if k != required})
    assert str(caught.value) == f"{where}: {required} is required"


@pytest.mark.parametrize(
    ("value", "mode"),
    [(None, "plain"), ("plain", "plain"), ("http", "plain"), ("browser", "browser"), ("render", "render")],
)
def test_registry_reads_the_fetch_mode(tmp_path: Path, value: str | None, mode: str) -> None:
    entry = WEB if value is None else {**WEB, "fetch": value}
    assert load(tmp_path, entry)[0].fetch == mode


def test_registry_rejects_an_unknown_fetch_mode_naming_the_one_meant(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"fetch must be one of plain, browser, render, not 'browsr' \(did you mean browser\?\)"
    ):
        load(tmp_path, {**WEB, "fetch": "browsr"})


def test_registry_rejects_a_browser_for_a_files_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="fetch: render is for web sources"):
        load(tmp_path, {"name": "seeds", "kind": "files", "url": "*.txt", "fetch": "render"})


def test_registry_keeps_exclude_selector_and_allowed_hosts(tmp_path: Path) -> None:
    (source,) = load(tmp_path, {**WEB, "exclude_selector": ".popbox", "allowed_hosts": ["WWW.gov.cn"]})
    assert (source.exclude_selector, source.allowed_hosts) == (".popbox", ("www.gov.cn",))
    assert source.hosts == ("www.ndrc.gov.cn", "www.gov.cn")
    assert "http://www.ndrc.gov.cn:8080" not in source.scope


@pytest.mark.parametrize("hosts", [["https://www.gov.cn/"], "www.gov.cn", ["www.gov.cn/zhengce"]])
def test_registry_rejects_allowed_hosts_that_are_not_host_names(tmp_path: Path, hosts: object) -> None:
    with pytest.raises(ConfigError, match="allowed_hosts must be a list of host names"):
        load(tmp_path, {**WEB, "allowed_hosts": hosts})


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ("browser", {"User-Agent": BROWSER_USER_AGENT}),
        (
            {"User-Agent": "browser", "Referer": "https://www.gov.cn/"},
            {"User-Agent": BROWSER_USER_AGENT, "Referer": "https://www.gov.cn/"},
        ),
        ({"Accept": "application/json"}, {"Accept": "application/json"}),
    ],
)
def test_registry_reads_headers(tmp_path: Path, headers: object, expected: dict[str, str]) -> None:
    (source,) = load(tmp_path, {**WEB, "headers": headers})
    assert source.headers == expected
    assert source.options["headers"] == expected  # what every reader of options sees


def test_registry_rejects_headers_that_are_neither_browser_nor_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="headers must be `browser` or a mapping"):
        load(tmp_path, {**WEB, "headers": ["User-Agent"]})


def test_registry_passes_detail_json_through_in_options(tmp_path: Path) -> None:
    paths = {
        "html": "data.docClob",
        "title": "data.docSubtitle",
        "published_on": "data.publishDate",
        "doc_number": "data.documentNo",
        "index_number": "data.indexNo",
    }
    (source,) = load(tmp_path, {**WEB, "kind": "json-api", "detail_json": paths})
    assert source.options["detail_json"] == paths


def test_allowed_hosts_are_the_origins_of_source_urls_and_declared_hosts(tmp_path: Path) -> None:
    sources = load(
        tmp_path,
        {**WEB, "delay_seconds": 3},
        {
            "name": "library",
            "kind": "json-api",
            "url": "https://sousuo.www.gov.cn/search-gov/data",
            "allowed_hosts": ["www.gov.cn", "files.gov.cn:8443"],
        },
        {"name": "local", "kind": "html-list", "url": "http://127.0.0.1:8000/list/", "link_selector": "a"},
    )
    assert allowed_hosts(sources) == {
        *("https://www.ndrc.gov.cn:443", "http://www.ndrc.gov.cn:80"),  # a default port: both schemes
        *("https://sousuo.www.gov.cn:443", "http://sousuo.www.gov.cn:80"),
        *("https://www.gov.cn:443", "http://www.gov.cn:80"),  # a bare host name: its default ports
        *("https://files.gov.cn:8443", "http://files.gov.cn:8443"),  # host:port: that port only
        "http://127.0.0.1:8000",  # another port: that origin only
    }
    assert host_policies(sources)["www.gov.cn"].delay_seconds == 1.0
    assert host_policies(sources)["files.gov.cn"].delay_seconds == 1.0


def test_find_source_suggests_close_names(tmp_path: Path) -> None:
    sources = load(tmp_path, WEB)
    with pytest.raises(ConfigError, match=r"no source named 'ndcr'.*did you mean ndrc"):
        find_source(sources, "ndcr")


DEFAULT = load_sources(SEEDS / "sources.yaml")
EVIDENCE = re.compile(r"^\d{4}-\d{2}-\d{2} \((tests/fixtures/real/[^)]+)\)$")


@pytest.mark.parametrize("source", DEFAULT, ids=lambda s: s.name)
def test_default_registry_source_is_verified_by_a_saved_page_or_says_no(source) -> None:
    if source.verified == "no":
        return
    match = EVIDENCE.match(source.verified)
    assert match, source.verified
    assert (REPO / match[1]).is_file()
    assert (REPO / (match[1] + ".json")).is_file()  # replayed by tests/test_sources_real.py


def test_default_registry_marks_every_replayed_source_verified() -> None:
    sidecars = [json.loads(p.read_text(encoding="utf-8")) for p in (REPO / "tests/fixtures/real").glob("*/*.*.json")]
    replayed = {s["expect"]["source"] for s in sidecars if "source" in s.get("expect", {})}
    assert replayed
    assert {name for name in replayed if find_source(DEFAULT, name).verified == "no"} == set()
