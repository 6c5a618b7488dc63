"""Settings from the environment (all optional; the defaults need no server)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from parsers.errors import ConfigError
from warehouse import lake

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCES = REPO_ROOT / "seeds" / "sources.yaml"
SECURITY_MODES = ("none", "starttls", "ssl")
DIGEST_MODES = ("per-recipient", "bcc")  # POLICYWATCH_DIGEST_MODE: an extension of the contract
# POLICYWATCH_MAX_ATTACHMENT_BYTES: an attachment larger than this is cut and recorded too_large, never read.
# Above a page's 20 MB: a plan's scanned PDF runs to tens of MB.
DEFAULT_MAX_ATTACHMENT_BYTES = 50_000_000
# POLICYWATCH_WRITER_WAIT: seconds a run's stage waits for another program (an analyst's DuckDB session)
# to close the warehouse file before failing with its name; what the run fetched loads on the next run.
DEFAULT_WRITER_WAIT_SECONDS = 300
# POLICYWATCH_FETCH_DEADLINE_SECONDS: one URL's network time (connect, headers, whole body, all tries): a body
# trickling a byte at a time cannot hold a night's run for minutes.
DEFAULT_FETCH_DEADLINE_SECONDS = 60.0
# POLICYWATCH_RETRY_AFTER_MAX_SECONDS: the longest pause a host's 429/503 Retry-After gets; longer, and its
# URLs fail for the night with that reason rather than holding the run.
DEFAULT_RETRY_AFTER_MAX_SECONDS = 300.0
# POLICYWATCH_CRAWL_DELAY_MAX_SECONDS: robots.txt's Crawl-delay is honoured up to this gap between requests.
DEFAULT_CRAWL_DELAY_MAX_SECONDS = 60.0
PARSE_RUNNERS = ("local", "dask")  # POLICYWATCH_PARSE_RUNNER: where the parse stage runs


@dataclass(frozen=True, slots=True, kw_only=True)
class DaskSettings:
    """The parse stage on Dask: a scheduler's address, or a LocalCluster of `workers` processes started per run."""

    address: str | None  # POLICYWATCH_DASK_ADDRESS, e.g. tcp://10.0.0.5:8786; None: a LocalCluster
    workers: int  # POLICYWATCH_DASK_WORKERS: the LocalCluster's processes (one thread each); default the cores


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpSettings:
    """Where and how the digest is mailed; `host` None means no sending."""

    host: str | None
    port: int
    user: str | None
    password: str | None  # never logged: repr hides it
    security: str
    mail_from: str
    recipients: tuple[str, ...]
    password_block: str | None = None  # name of a Prefect Secret block holding the password
    mode: str = "per-recipient"  # per-recipient (one message each) | bcc (one message, all in BCC)

    def __repr__(self) -> str:
        return f"SmtpSettings(host={self.host!r}, port={self.port}, user={self.user!r}, security={self.security!r})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Paths and mail settings of one installation."""

    home: Path
    db: Path
    sources: Path
    smtp: SmtpSettings
    contact: str  # how a site operator reaches us: named in the User-Agent
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES
    writer_wait_seconds: int = DEFAULT_WRITER_WAIT_SECONDS
    fetch_deadline_seconds: float = DEFAULT_FETCH_DEADLINE_SECONDS
    retry_after_max_seconds: float = DEFAULT_RETRY_AFTER_MAX_SECONDS
    crawl_delay_max_seconds: float = DEFAULT_CRAWL_DELAY_MAX_SECONDS
    dask: DaskSettings | None = None  # None: the parse stage runs on this machine (POLICYWATCH_PARSE_RUNNER=local)
    # POLICYWATCH_WAREHOUSE=ducklake:… (+ POLICYWATCH_LAKE_DATA): the warehouse is that lake, and `db` names
    # only the lock file's folder; None: the embedded file `db` (warehouse/connection.py dispatches).
    warehouse: lake.Lake | None = None

    @property
    def where(self) -> str:
        """The warehouse as shown to people: the lake's `ducklake:` string or the file's path."""
        return str(self.warehouse) if self.warehouse is not None else str(self.db)

    @property
    def archive(self) -> Path:
        """Folder of the raw page archive."""
        return self.home / "raw"

    @property
    def outbox(self) -> Path:
        """Folder the digests are written to."""
        return self.home / "outbox"

    @property
    def prefect_home(self) -> Path:
        """Prefect's own state, kept inside the data folder."""
        return self.home / "prefect"


def load_settings(
    env: dict[str, str] | None = None, *, db: Path | None = None, sources: Path | None = None
) -> Settings:
    """Read `POLICYWATCH_*` variables; explicit arguments win over the environment."""
    env = dict(os.environ if env is None else env)
    home = Path(env.get("POLICYWATCH_HOME") or "data").expanduser().absolute()
    smtp = _smtp(env)
    return Settings(
        home=home,
        db=(db or Path(env.get("POLICYWATCH_DB") or home / "warehouse.duckdb")).expanduser().absolute(),
        sources=(sources or _default_sources(env)).expanduser().absolute(),
        smtp=smtp,
        contact=env.get("POLICYWATCH_CONTACT") or f"mailto:{smtp.mail_from}",
        max_attachment_bytes=_positive(env, "POLICYWATCH_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_ATTACHMENT_BYTES),
        writer_wait_seconds=_whole(env, "POLICYWATCH_WRITER_WAIT", DEFAULT_WRITER_WAIT_SECONDS, unit="seconds"),
        fetch_deadline_seconds=_seconds(env, "POLICYWATCH_FETCH_DEADLINE_SECONDS", DEFAULT_FETCH_DEADLINE_SECONDS),
        retry_after_max_seconds=_seconds(env, "POLICYWATCH_RETRY_AFTER_MAX_SECONDS", DEFAULT_RETRY_AFTER_MAX_SECONDS),
        crawl_delay_max_seconds=_seconds(env, "POLICYWATCH_CRAWL_DELAY_MAX_SECONDS", DEFAULT_CRAWL_DELAY_MAX_SECONDS),
        dask=_dask(env),
        warehouse=lake.configured(env),
    )


def _dask(env: dict[str, str]) -> DaskSettings | None:
    """POLICYWATCH_PARSE_RUNNER=dask and its cluster; None for the default, the parse stage on this machine."""
    runner = (env.get("POLICYWATCH_PARSE_RUNNER") or "local").strip().lower()
    if runner not in PARSE_RUNNERS:
        raise ConfigError(f"POLICYWATCH_PARSE_RUNNER must be one of {', '.join(PARSE_RUNNERS)}, not {runner!r}")
    workers = _positive(env, "POLICYWATCH_DASK_WORKERS", os.cpu_count() or 1, unit="worker processes")
    if runner == "local":
        return None
    return DaskSettings(address=(env.get("POLICYWATCH_DASK_ADDRESS") or "").strip() or None, workers=workers)


def _positive(env: dict[str, str], name: str, default: int, *, unit: str = "bytes") -> int:
    """A positive whole number from the environment (underscores allowed: 50_000_000), else the default."""
    value = _whole(env, name, default, unit=unit)
    if value <= 0:
        raise ConfigError(f"{name} must be a positive whole number of {unit}, not {env[name]!r}")
    return value


def _whole(env: dict[str, str], name: str, default: int, *, unit: str) -> int:
    """A whole number (0 or more) from the environment, underscores allowed, else the default."""
    text = (env.get(name) or "").replace("_", "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ConfigError(f"{name} must be a whole number of {unit}, not {env[name]!r}")
    return int(text)


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    """A positive number of seconds from the environment (2, 0.5), else the default."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise ConfigError(f"{name} must be a positive number of seconds, not {env[name]!r}")
    return seconds


def _default_sources(env: dict[str, str]) -> Path:
    if env.get("POLICYWATCH_SOURCES"):
        return Path(env["POLICYWATCH_SOURCES"])
    local = Path("seeds/sources.yaml")
    return local if local.exists() else DEFAULT_SOURCES


def _smtp(env: dict[str, str]) -> SmtpSettings:
    security = (env.get("POLICYWATCH_SMTP_SECURITY") or "starttls").lower()
    if security not in SECURITY_MODES:
        raise ConfigError(f"POLICYWATCH_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, not {security!r}")
    port_text = env.get("POLICYWATCH_SMTP_PORT") or ("465" if security == "ssl" else "587")
    if not port_text.isdigit():
        raise ConfigError(f"POLICYWATCH_SMTP_PORT must be a number, not {port_text!r}")
    mode = (env.get("POLICYWATCH_DIGEST_MODE") or "per-recipient").lower()
    if mode not in DIGEST_MODES:
        raise ConfigError(f"POLICYWATCH_DIGEST_MODE must be one of {', '.join(DIGEST_MODES)}, not {mode!r}")
    recipients = tuple(a.strip() for a in (env.get("POLICYWATCH_DIGEST_TO") or "").split(",") if a.strip())
    return SmtpSettings(
        host=env.get("POLICYWATCH_SMTP_HOST") or None,
        port=int(port_text),
        user=env.get("POLICYWATCH_SMTP_USER") or None,
        password=env.get("POLICYWATCH_SMTP_PASSWORD") or None,
        security=security,
        mail_from=env.get("POLICYWATCH_MAIL_FROM") or "policywatch@localhost",
        recipients=recipients,
        password_block=env.get("POLICYWATCH_SMTP_PASSWORD_BLOCK") or None,
        mode=mode,
    )


def prepare_prefect_env(settings: Settings) -> None:
    """Point Prefect at the data folder and keep it offline; call before importing prefect."""
    try:
        settings.prefect_home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create Prefect's folder {settings.prefect_home}: {exc.strerror or exc}") from exc
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home))
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
