"""The weekly-digest flow end to end: seeds plus a hostile page ingested, mailed through aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from parsers.errors import SendError
from tests.conftest import copy_seeds
from tests.smtp_server import PASSWORD, USER, Mailbox, smtp_server
from warehouse.weeks import current_week_now, shift_week

pytestmark = [
    pytest.mark.usefixtures("prefect_server"),
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]

HOSTILE = "<script>alert(1)</script>"
HOSTILE_PAGE = (
    f"{HOSTILE}\n\n国家发展改革委关于支持生物医药产业发展的通知。"
    "推动生物医药、生物制造、合成生物、疫苗与细胞治疗创新药发展。\n"
)
TEAM = ("ana@example.org", "bo@example.org")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> tuple[Path, str]:
    """A warehouse holding the five seeds and a page titled <script>, all first seen this week."""
    from flows.ingest import nightly_ingest

    folder = tmp_path_factory.mktemp("digest-ingest")
    sources = copy_seeds(folder / "seeds")
    (folder / "seeds" / "900_hostile.txt").write_text(HOSTILE_PAGE, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLICYWATCH_HOME", str(folder / "home"))
        nightly_ingest(str(sources), str(folder / "warehouse.duckdb"))
    return folder / "warehouse.duckdb", current_week_now()


@pytest.fixture
def db(ingested: tuple[Path, str], tmp_path: Path, home: Path) -> Path:
    """A copy of the ingested warehouse for one test (its own send ledger)."""
    return Path(shutil.copy(ingested[0], tmp_path / "warehouse.duckdb"))


@pytest.fixture
def week(ingested: tuple[Path, str]) -> str:
    return ingested[1]


@pytest.fixture
def mail_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A plain SMTP server and the POLICYWATCH_SMTP_* settings pointing at it."""
    with smtp_server() as box:
        point_at(monkeypatch, box)
        yield box


def point_at(monkeypatch: pytest.MonkeyPatch, box: Mailbox, **extra: str) -> None:
    values = {
        "POLICYWATCH_SMTP_HOST": "127.0.0.1",
        "POLICYWATCH_SMTP_PORT": str(box.port),
        "POLICYWATCH_SMTP_SECURITY": "none",
        "POLICYWATCH_MAIL_FROM": "policywatch@example.org",
        "POLICYWATCH_DIGEST_TO": ",".join(TEAM),
    } | extra
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("flows.digest.SEND_RETRY_DELAY_SECONDS", 0)


def run_digest(db: Path, week: str, out: Path, **options: bool):
    from flows.digest import weekly_digest

    return weekly_digest(week, str(out), str(db), **options)


def ledger(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT week, recipient, sends FROM digest_sends ORDER BY recipient").fetchall()


def runs(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT status, error FROM runs WHERE flow = 'weekly-digest' ORDER BY started_at").fetchall()


def test_digest_flow_sends_one_multipart_message_per_recipient(
    db: Path, week: str, tmp_path: Path, mail_env: Mailbox
) -> None:
    files = run_digest(db, week, tmp_path / "out", send=True)
    assert files.mail is not None and files.mail.sent == TEAM
    assert sorted(r.rcpt_tos[0] for r in mail_env.received) == list(TEAM)
    for received in mail_env.received:
        msg = received.message
        assert msg["To"] == received.rcpt_tos[0]
        assert msg["Subject"] == f"PolicyWatch 周报 {week}: 本周新收录 6 项"
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
        assert all(p.get_content_charset() == "utf-8" for p in msg.iter_parts())
        assert msg["Date"] and msg["Message-ID"].startswith(f"<policywatch-digest-{week}.")
        assert msg["List-Unsubscribe"] == "<mailto:policywatch@example.org?subject=unsubscribe>"
    assert len({r.message["Message-ID"] for r in mail_env.received}) == 2


def test_digest_flow_escapes_a_scraped_script_title(db: Path, week: str, tmp_path: Path, mail_env: Mailbox) -> None:
    run_digest(db, week, tmp_path / "out", send=True)
    html = mail_env.received[0].message.get_body(("html",)).get_content()
    text = mail_env.received[0].message.get_body(("plain",)).get_content()
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert HOSTILE in text  # plain text shows it as the text it is


def test_digest_flow_second_run_sends_nothing(db: Path, week: str, tmp_path: Path, mail_env: Mailbox) -> None:
    run_digest(db, week, tmp_path / "out", send=True)
    again = run_digest(db, week, tmp_path / "out", send=True)
    assert len(mail_env.received) == 2
    assert again.mail is not None and again.mail.sent == () and again.mail.skipped == TEAM
    assert ledger(db) == [(week, TEAM[0], 1), (week, TEAM[1], 1)]


def test_digest_flow_resend_mails_again_and_counts_it(db: Path, week: str, tmp_path: Path, mail_env: Mailbox) -> None:
    run_digest(db, week, tmp_path / "out", send=True)
    run_digest(db, week, tmp_path / "out", send=True, resend=True)
    assert len(mail_env.received) == 4
    assert ledger(db) == [(week, TEAM[0], 2), (week, TEAM[1], 2)]


def test_digest_flow_bcc_mode_sends_one_message_naming_nobody(
    db: Path, week: str, tmp_path: Path, mail_env: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYWATCH_DIGEST_MODE", "bcc")
    run_digest(db, week, tmp_path / "out", send=True)
    [received] = mail_env.received
    assert received.rcpt_tos == list(TEAM)
    assert received.message["To"] == "undisclosed-recipients:;"
    assert not any(address.encode() in received.raw for address in TEAM)
    assert [r for _, r, _ in ledger(db)] == list(TEAM)


def test_digest_flow_logs_in_when_configured(
    db: Path, week: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(auth=True) as box:
        point_at(monkeypatch, box, POLICYWATCH_SMTP_USER=USER, POLICYWATCH_SMTP_PASSWORD=PASSWORD)
        run_digest(db, week, tmp_path / "out", send=True)
    assert box.logins == [(USER, PASSWORD)]
    assert len(box.received) == 2


def test_digest_flow_refused_login_is_reported_and_not_recorded(
    db: Path, week: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(auth=True) as box:
        point_at(monkeypatch, box, POLICYWATCH_SMTP_USER=USER, POLICYWATCH_SMTP_PASSWORD="not-it")
        with pytest.raises(SendError, match="login refused") as caught:
            run_digest(db, week, tmp_path / "out", send=True)
    assert "not-it" not in str(caught.value)
    assert len(box.login_peers) == 1  # one connection: a refused login is not retried
    assert box.received == [] and ledger(db) == []
    [(status, error)] = runs(db)
    assert status == "failed" and "login refused" in error
    assert (tmp_path / "out" / f"policywatch-digest-{week}.eml").exists()


def test_digest_flow_partial_failure_records_only_who_got_it(
    db: Path, week: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(Mailbox(refuse={TEAM[1]})) as box:
        point_at(monkeypatch, box)
        with pytest.raises(SendError, match=f"sent to 1 of 2 recipients.*{TEAM[1]}"):
            run_digest(db, week, tmp_path / "out", send=True)
    assert [r.rcpt_tos for r in box.received] == [[TEAM[0]]]
    assert ledger(db) == [(week, TEAM[0], 1)]


def test_digest_flow_retries_a_temporary_failure_without_mailing_twice(
    db: Path, week: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(Mailbox(fail_data=1)) as box:  # the first message is answered 451, once
        point_at(monkeypatch, box)
        files = run_digest(db, week, tmp_path / "out", send=True)
    assert sorted(r.rcpt_tos[0] for r in box.received) == list(TEAM)
    assert files.mail is not None and files.mail.sent == TEAM
    assert ledger(db) == [(week, TEAM[0], 1), (week, TEAM[1], 1)]


def test_digest_flow_empty_week_still_sends_nothing_new_with_health(
    db: Path, week: str, tmp_path: Path, mail_env: Mailbox
) -> None:
    empty = shift_week(week, -10)
    files = run_digest(db, empty, tmp_path / "out", send=True)
    assert files.documents == 0 and len(mail_env.received) == 2
    msg = mail_env.received[0].message
    assert msg["Subject"] == f"PolicyWatch 周报 {empty}: 本周无新收录"
    for part in ("plain", "html"):
        body = msg.get_body((part,)).get_content()
        assert "本周没有新的生物经济相关文件" in body
        assert "数据源状态" in body


def test_digest_flow_writes_html_text_and_eml_without_sending(db: Path, week: str, tmp_path: Path) -> None:
    files = run_digest(db, week, tmp_path / "out")
    assert files.mail is None
    assert {p.suffix for p in (tmp_path / "out").iterdir()} == {".html", ".txt", ".eml"}
    assert b"multipart/alternative" in files.eml.read_bytes()
    assert runs(db)[-1][0] == "success"


def test_digest_flow_compares_with_the_week_before(db: Path, week: str, tmp_path: Path) -> None:
    from flows.tasks.digest_model import build_digest

    before = shift_week(week, -1)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "UPDATE core.documents SET week = ? WHERE level = 'central' OR doc_number IS NULL AND published_on IS NULL",
            [before],
        )
        digest = build_digest(con, week)
    moved = digest.previous_total
    assert moved >= 1 and digest.total + moved == 6
    assert digest.change == digest.total - moved
    assert {lc.level: lc.previous for lc in digest.levels}["中央"] == 1
    assert any(row.counts[-2] > 0 for row in digest.trend)
    assert digest.trend_weeks[-1] == week and len(digest.trend_weeks) == 8


def test_cli_digest_send_without_server_is_bad_configuration(home: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["digest", "--send"])
    assert result.exit_code == 2
    assert "POLICYWATCH_SMTP_HOST" in result.output


def test_cli_digest_send_mails_and_says_so(db: Path, week: str, tmp_path: Path, mail_env: Mailbox) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["digest", "--week", week, "--send", "--db", str(db), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "sent to 2" in result.output and len(mail_env.received) == 2


def test_cli_digest_of_an_empty_week_names_the_weeks_that_have_documents(db: Path, week: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app
    from warehouse.connection import open_reader
    from warehouse.queries import weeks_with_documents
    from warehouse.weeks import shift_week

    with open_reader(db) as con:
        weeks = weeks_with_documents(con)
    assert weeks and weeks[0][0] == week and weeks[0][1] > 0
    empty = shift_week(week, 5)
    result = CliRunner().invoke(app, ["digest", "--week", empty, "--db", str(db), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    hint = " ".join(result.output.split())
    assert f"{empty} has no new relevant documents; weeks that have some: {week} ({weeks[0][1]})" in hint
    assert f"policywatch digest --week {week}" in hint
