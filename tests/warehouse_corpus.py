"""A small real warehouse for the analyst tests: seeds, fixture pages and a few written notices, in two runs.

Run 1 (a week ago): the five seed documents and the template fixture pages. Run 2 (now): provincial
合成生物 notices published today that cite the 十四五生物经济发展规划, a repost of one of them, and a
new version of a fixture page. Times are relative to the real clock so that "this week" and "this
quarter" in the cookbook find rows whenever the tests run.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

import duckdb
import yaml

from parsers.parse import parse_document
from parsers.records import ParseOptions
from parsers.run import PageOutcome, SourceAttempt
from warehouse.connection import open_writer
from warehouse.load import load_run
from warehouse.search import index_documents

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
PAGES = Path(__file__).with_name("fixtures") / "pages"

GD_SYNBIO = """广东省科学技术厅关于支持合成生物产业创新发展的若干措施
发布时间:{today}
发文字号：粤科规字〔2026〕7号
各地级以上市科技局，各有关单位：
为贯彻落实《“十四五”生物经济发展规划》，加快我省合成生物产业发展，现提出以下措施。
一、支持合成生物底盘细胞、菌种库和生物铸造平台建设，对新建中试平台给予最高1000万元财政资金补助。
二、设立合成生物产业投资基金，引导社会资本投向生物制造和生物基材料项目。
三、建设合成生物产业园区，推动生物基材料规模化生产，培育一批领军企业。
四、加强合成生物领域高层次人才引进，对引进的团队给予资金支持。
广东省科学技术厅
{today}
"""
JS_SYNBIO = """江苏省发展和改革委员会关于印发江苏省生物制造产业发展行动方案的通知
发布时间:{today}
发文字号：苏发改高技发〔2026〕12号
各设区市发展改革委：
根据《“十四五”生物经济发展规划》，现将《江苏省生物制造产业发展行动方案》印发给你们，请认真贯彻落实。
一、发展合成生物技术，建设生物制造中试验证平台，推动生物发酵、酶工程和生物基化学品产业化。
二、对生物制造重大项目给予省级财政专项资金补助，支持企业技术改造。
三、打造苏州、南京、常州生物制造产业集群。
江苏省发展和改革委员会
{today}
"""
SH_VACCINE = """上海市卫生健康委员会关于做好疫苗接种服务工作的通知
发布时间:{today}
各区卫生健康委：
为做好疫苗接种服务，完善疫苗冷链管理，保障疫苗安全，现就有关事项通知如下。
一、加强接种单位管理，规范疫苗出入库登记和冷链温度监测。
二、做好接种信息登记和疑似预防接种异常反应监测。
上海市卫生健康委员会
{today}
"""
WRITTEN = (  # (file name, template, url, source)
    ("gd_synbio.txt", GD_SYNBIO, "https://gdstc.gd.gov.cn/zwgk_n/tzgg/content/post_4500001.html", "gd-stc"),
    ("js_synbio.txt", JS_SYNBIO, "https://fzggw.jiangsu.gov.cn/art/2026/11/20/art_1.html", "js-drc"),
)
SH_URL = "https://wsjkw.sh.gov.cn/tzgg/20261120/1.html"
SH_AMENDMENT = "三、各区于每月5日前报送上月接种数据，发现疫苗质量问题立即暂停使用并报告。\n"
FAILED_URL = "https://fgw.hebei.gov.cn/zcfg/2026/11/broken.html"
REPOST_URL = "https://www.biotech-news.example.cn/policy/2026/gd-synbio.html"


def _page(data: bytes, options: ParseOptions, seen: datetime, source: str) -> PageOutcome:
    doc = parse_document(data, options)
    return PageOutcome(
        url=options.url or "",
        source_name=source,
        fetched_at=seen,
        raw_sha256="0" * 64,
        raw_size=len(data),
        document=doc,
    )


def seed_pages(seen: datetime) -> list[PageOutcome]:
    """The seed documents, with the facts of their manifest."""
    manifest = yaml.safe_load((SEEDS / "manifest.yaml").read_text(encoding="utf-8"))["documents"]
    pages = []
    for name, facts in sorted(manifest.items()):
        published = facts.get("published_on")
        options = ParseOptions(
            url=facts.get("url") or (SEEDS / name).as_uri(),
            source_name="seeds",
            reference_date=facts.get("fetched_on"),
            known_title=facts.get("title"),
            known_published_on=date.fromisoformat(str(published)) if published else None,
            known_issuers=tuple(facts.get("issuers") or ()),
            known_doc_number=facts.get("doc_number"),
        )
        pages.append(_page((SEEDS / name).read_bytes(), options, seen, "seeds"))
    return pages


def fixture_pages(seen: datetime) -> list[PageOutcome]:
    """The HTML template fixtures, at the URLs their sidecars name."""
    pages = []
    for html in sorted(PAGES.glob("*.html")):
        gold = json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))
        if gold.get("extraction_status", "ok") != "ok" or not gold.get("url"):
            continue
        pages.append(_page(html.read_bytes(), ParseOptions(url=gold["url"], source_name="fixtures"), seen, "fixtures"))
    return pages


def _options(url: str, source: str) -> ParseOptions:
    return ParseOptions(url=url, source_name=source, default_issuer=ISSUERS.get(source))


def _today(seen: datetime) -> str:
    return (seen + timedelta(hours=8)).date().isoformat()


def vaccine_page(seen: datetime, *, amended: bool) -> PageOutcome:
    """The Shanghai notice; amended, the same URL with one more paragraph (a new version)."""
    text = SH_VACCINE.format(today=_today(seen))
    if amended:
        text = text.replace("上海市卫生健康委员会\n", SH_AMENDMENT + "上海市卫生健康委员会\n", 1)
    return _page(text.encode(), _options(SH_URL, "sh-wsjkw"), seen, "sh-wsjkw")


# The issuer each written page's source names in the registry, given as the nightly run gives it.
ISSUERS = {"gd-stc": "广东省科学技术厅", "js-drc": "江苏省发展和改革委员会", "sh-wsjkw": "上海市卫生健康委员会"}


def written_pages(seen: datetime) -> list[PageOutcome]:
    """The provincial notices published today, a repost of the Guangdong one, a page that failed."""
    today = _today(seen)
    pages = [
        _page(template.format(today=today).encode(), _options(url, source), seen, source)
        for _, template, url, source in WRITTEN
    ]
    repost = "来源：广东省科学技术厅\n" + GD_SYNBIO.format(today=today) + "（本文转自广东省科学技术厅网站）\n"
    pages.append(_page(repost.encode(), ParseOptions(url=REPOST_URL, source_name="biotech-news"), seen, "biotech-news"))
    pages.append(PageOutcome(url=FAILED_URL, source_name="hb-drc", fetched_at=seen, error="HTTP 500"))
    return pages


def _load(con: duckdb.DuckDBPyConnection, run_id: str, pages: list[PageOutcome], now: datetime) -> None:
    con.execute(
        "INSERT INTO core.runs (run_id, flow, started_at, status) VALUES (?, 'nightly-ingest', ?, 'running')",
        [run_id, now],
    )
    sources = sorted({p.source_name for p in pages} - {"hb-drc"})
    attempts = [SourceAttempt(source_name=s, kind="files", ok=True, items=1) for s in sources]
    if any(p.source_name == "hb-drc" for p in pages):
        attempts.append(SourceAttempt(source_name="hb-drc", kind="html-list", ok=False, error="HTTP 503 on the list"))
    load_run(con, run_id=run_id, pages=pages, attempts=attempts, now=now)


def build(con: duckdb.DuckDBPyConnection, *, now: datetime | None = None) -> None:
    """Load the corpus into a migrated, empty warehouse and index it for search."""
    now = (now or datetime.now(UTC)).replace(tzinfo=None, microsecond=0)
    week_ago = now - timedelta(days=7)
    _load(
        con, "run-1", [*seed_pages(week_ago), *fixture_pages(week_ago), vaccine_page(week_ago, amended=False)], week_ago
    )
    _load(con, "run-2", [*written_pages(now), vaccine_page(now, amended=True)], now)
    con.execute("BEGIN TRANSACTION")
    index_documents(con, now=now)
    con.execute("COMMIT")


@cache
def corpus_file() -> Path:
    """The corpus warehouse built once per test process; copy it before writing to it."""
    folder = Path(tempfile.mkdtemp(prefix="pw-corpus-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "warehouse.duckdb"
    with open_writer(path) as con:
        build(con)
        con.execute("CHECKPOINT")
    return path


def corpus_copy(folder: Path) -> Path:
    """A private copy of the corpus warehouse in `folder`."""
    target = folder / "warehouse.duckdb"
    shutil.copyfile(corpus_file(), target)
    return target
