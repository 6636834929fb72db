"""Settings, read once from environment variables.

Every setting has a safe default. A malformed value fails at start-up with a message that names the
variable, so an operator never runs a half-configured server.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from qbwc_server.net import IPNetwork, TrustedProxiesError, parse_trusted_proxies

DEFAULT_DATABASE_URL = "sqlite:///./qbwc.db"
KNOWN_PREFIX = "QBWC_"

# Every QBWC_* variable we understand; an unknown one is most likely a typo, and a typo in a
# security setting (say QBWC_ADMIN_TOKN) must not silently fall back to a default.
KNOWN_VARIABLES = frozenset(
    {
        "QBWC_PUBLIC_URL",
        "QBWC_ADMIN_TOKEN",
        "QBWC_OWNER_ID",
        "QBWC_SYNC_LEASE_SECONDS",
        "QBWC_TICKET_TTL_SECONDS",
        "QBWC_MIN_CLIENT_VERSION",
        "QBWC_WARN_CLIENT_VERSION",
        "QBWC_MAX_BODY_BYTES",
        "QBWC_LOGIN_FAILURE_LIMIT",
        "QBWC_LOGIN_FAILURE_WINDOW_SECONDS",
        "QBWC_CONNECTED_WINDOW_SECONDS",
        "QBWC_LOG_LEVEL",
        "QBWC_TRUSTED_PROXIES",
        "QBWC_ADMIN_SESSION_IDLE_SECONDS",
        "QBWC_ADMIN_SESSION_MAX_SECONDS",
        "QBWC_ADMIN_SIGNIN_FAILURE_LIMIT",
        "QBWC_ADMIN_SIGNIN_GLOBAL_FAILURE_LIMIT",
        "QBWC_ADMIN_SIGNIN_WINDOW_SECONDS",
        "QBWC_LIST_PAGE_SIZE",
        "QBWC_TXN_PAGE_SIZE",
        "QBWC_WINDOW_TARGET",
        "QBWC_FIRST_LOOK_BUDGET",
        "QBWC_SYNC_OVERLAP_MINUTES",
        # Operations (issue 12): logs, metrics, audit trail, the server process.
        "QBWC_LOG_FORMAT",
        "QBWC_METRICS_TOKEN",
        "QBWC_AUDIT",
        "QBWC_AUDIT_RETENTION_DAYS",
        "QBWC_WORKERS",
        "QBWC_TIMEOUT_SECONDS",
        "QBWC_CLIENT_TIMEOUT_SECONDS",
    }
)

# Read by the test suite and the benchmarks, never by the server; known so that CI's environment
# (which sets them) does not make the server or the CLI refuse to start.
TEST_ONLY_VARIABLES = frozenset(
    {
        "QBWC_REFERENCE_DIR",  # where ../shared/reference lives
        "QBWC_TEST_DATABASE_URL",  # the database the suite runs against
        "QBWC_REQUIRE_REFERENCE",  # a reference test that cannot run fails (CI)
        "QBWC_FUZZ_CASES",  # hypothesis examples per fuzz test
        "QBWC_CHROMIUM",  # the browser the page tests drive
        "QBWC_BENCH_PG",  # the PostgreSQL the benchmarks use
    }
)
KNOWN_VARIABLES = KNOWN_VARIABLES | TEST_ONLY_VARIABLES

_GUID_RE = re.compile(
    r"^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$"
)
_VERSION_RE = re.compile(r"^\d+(\.\d+){0,3}$")
LOG_FORMATS = ("json", "text")
AUDIT_MODES = ("off", "errors", "all")


class ConfigError(ValueError):
    """A setting is malformed; the message names the variable."""


@dataclass(frozen=True)
class SyncTuning:
    """Page and window sizes of the sync (README "Sync tuning"); set from QBWC_* variables."""

    # §6.11: list pages of 500 (a vendor is ~1-2 KB) and transaction pages (with lines) of 100
    # stay under a few MB per response, which QuickBooks answers in seconds; fewer, larger
    # pages also amortize the per-transaction cost of ingesting them (bench/bench_storage.py).
    list_page_size: int = 500
    txn_page_size: int = 100
    window_target: int = 1000  # records per first-pass window (the unit of resumption)
    window_max: int = 2500  # a window holding more is split before paging through it
    # Records a first sync's opening looks at its streams ask together in one message set
    # (sync/batch.py): the answer stays the size of one or two ordinary pages.
    first_look_budget: int = 1500
    overlap: timedelta = timedelta(hours=2)  # modified-date overlap: DST hour + clock skew
    retry_backoff: timedelta = timedelta(minutes=10)
    # A reconciliation of ids (restored files, deletions older than QuickBooks' 90-day log)
    # runs this often per stream, and on demand (POST /api/companies/{id}/reconcile).
    reconcile_interval: timedelta = timedelta(days=7)


DEFAULT_TUNING = SyncTuning()


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    public_url: str = "http://localhost:8000"
    admin_token: str | None = None
    owner_id: str | None = None  # None: generated once and persisted in the database
    sync_lease_seconds: int = 120
    ticket_ttl_seconds: int = 4 * 3600
    min_client_version: str | None = None  # below: clientVersion answers "E:" (update refused)
    warn_client_version: str | None = None  # below: clientVersion answers "W:" (warning)
    max_body_bytes: int = 64 * 1024 * 1024
    login_failure_limit: int = 10
    login_failure_window_seconds: int = 900
    connected_window_seconds: int = 3600
    log_level: str = "INFO"
    # Sign-in sessions of the pages: signed out after this long without a request, and after
    # this long in any case (services/admin_sessions.py).
    admin_session_idle_seconds: int = 30 * 60
    admin_session_max_seconds: int = 12 * 3600
    # Failed uses of the admin token (sign-in page or bearer): per client address, and from all
    # addresses together, within the window (services/signin_throttle.py).
    admin_signin_failure_limit: int = 10
    admin_signin_global_failure_limit: int = 100
    admin_signin_window_seconds: int = 900
    tuning: SyncTuning = DEFAULT_TUNING
    # Reverse proxies whose X-Forwarded-For is believed (qbwc_server/net.py); none by default.
    trusted_proxies: tuple[IPNetwork, ...] = ()
    log_format: str = "text"  # "json": one JSON object per line (the Docker image's default)
    metrics_token: str | None = None  # also accepted on /metrics, besides the admin token
    audit_mode: str = "errors"  # off | errors | all: which sessions keep their qbXML exchange
    audit_retention_days: int = 30
    workers: int = 2  # gunicorn worker processes (qbwc-server serve)
    timeout_seconds: int = 300  # gunicorn worker timeout: a multi-MB page takes a while
    # A client must send a request's head and first part of its body within this long, and wait
    # at most this long between reads after that (serving/worker.py: slow clients).
    client_timeout_seconds: int = 30

    @property
    def qbwc_url(self) -> str:
        return self.public_url.rstrip("/") + "/qbwc"

    @property
    def support_url(self) -> str:
        return self.public_url.rstrip("/") + "/support"


def normalize_database_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use psycopg 3 for them."""
    if url.startswith("postgres+psycopg://"):
        url = "postgresql+psycopg://" + url[len("postgres+psycopg://") :]
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _version(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    if not raw:
        return None
    if not _VERSION_RE.match(raw):
        raise ConfigError(f"{name} must look like 2.3.0.215, got {raw!r}")
    return raw


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    unknown = sorted(k for k in env if k.startswith(KNOWN_PREFIX) and k not in KNOWN_VARIABLES)
    if unknown:
        raise ConfigError(
            f"unknown setting {unknown[0]} (known: {', '.join(sorted(KNOWN_VARIABLES))})"
        )

    database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not re.match(r"^(sqlite|postgres(ql)?(\+psycopg)?)://", database_url):
        raise ConfigError(
            "DATABASE_URL must be a sqlite:/// or postgresql:// URL, got "
            f"{database_url.split('://')[0]!r}://..."
        )

    public_url = (env.get("QBWC_PUBLIC_URL") or "http://localhost:8000").rstrip("/")
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"QBWC_PUBLIC_URL must be an http(s) URL with a host, got {public_url!r}")
    if parts.query or parts.fragment:
        raise ConfigError("QBWC_PUBLIC_URL must not carry a query string or fragment")

    admin_token = env.get("QBWC_ADMIN_TOKEN") or None
    if admin_token is not None and len(admin_token) < 16:
        raise ConfigError("QBWC_ADMIN_TOKEN must be at least 16 characters long")

    owner_id = env.get("QBWC_OWNER_ID") or None
    if owner_id is not None:
        if not _GUID_RE.match(owner_id):
            raise ConfigError(f"QBWC_OWNER_ID must be a GUID, got {owner_id!r}")
        owner_id = format_guid(owner_id)

    log_level = (env.get("QBWC_LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(
            f"QBWC_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}"
        )

    try:
        trusted_proxies = parse_trusted_proxies(env.get("QBWC_TRUSTED_PROXIES"))
    except TrustedProxiesError as exc:
        raise ConfigError(str(exc)) from None
    log_format = (env.get("QBWC_LOG_FORMAT") or "text").lower()
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"QBWC_LOG_FORMAT must be json or text, got {log_format!r}")
    metrics_token = env.get("QBWC_METRICS_TOKEN") or None
    if metrics_token is not None and len(metrics_token) < 16:
        raise ConfigError("QBWC_METRICS_TOKEN must be at least 16 characters long")
    audit_mode = (env.get("QBWC_AUDIT") or "errors").lower()
    if audit_mode not in AUDIT_MODES:
        raise ConfigError(f"QBWC_AUDIT must be off, errors or all, got {audit_mode!r}")

    return Settings(
        database_url=normalize_database_url(database_url),
        public_url=public_url,
        admin_token=admin_token,
        owner_id=owner_id,
        sync_lease_seconds=_int(env, "QBWC_SYNC_LEASE_SECONDS", 120, 10),
        ticket_ttl_seconds=_int(env, "QBWC_TICKET_TTL_SECONDS", 4 * 3600, 60),
        min_client_version=_version(env, "QBWC_MIN_CLIENT_VERSION"),
        warn_client_version=_version(env, "QBWC_WARN_CLIENT_VERSION"),
        max_body_bytes=_int(env, "QBWC_MAX_BODY_BYTES", 64 * 1024 * 1024, 64 * 1024),
        login_failure_limit=_int(env, "QBWC_LOGIN_FAILURE_LIMIT", 10, 1),
        login_failure_window_seconds=_int(env, "QBWC_LOGIN_FAILURE_WINDOW_SECONDS", 900, 1),
        connected_window_seconds=_int(env, "QBWC_CONNECTED_WINDOW_SECONDS", 3600, 60),
        log_level=log_level,
        admin_session_idle_seconds=_int(env, "QBWC_ADMIN_SESSION_IDLE_SECONDS", 30 * 60, 60),
        admin_session_max_seconds=_int(env, "QBWC_ADMIN_SESSION_MAX_SECONDS", 12 * 3600, 60),
        admin_signin_failure_limit=_int(env, "QBWC_ADMIN_SIGNIN_FAILURE_LIMIT", 10, 1),
        admin_signin_global_failure_limit=_int(
            env, "QBWC_ADMIN_SIGNIN_GLOBAL_FAILURE_LIMIT", 100, 1
        ),
        admin_signin_window_seconds=_int(env, "QBWC_ADMIN_SIGNIN_WINDOW_SECONDS", 900, 1),
        tuning=SyncTuning(
            list_page_size=_int(env, "QBWC_LIST_PAGE_SIZE", DEFAULT_TUNING.list_page_size, 1),
            txn_page_size=_int(env, "QBWC_TXN_PAGE_SIZE", DEFAULT_TUNING.txn_page_size, 1),
            window_target=_int(env, "QBWC_WINDOW_TARGET", DEFAULT_TUNING.window_target, 10),
            window_max=_int(env, "QBWC_WINDOW_TARGET", DEFAULT_TUNING.window_target, 10) * 5 // 2,
            first_look_budget=_int(
                env, "QBWC_FIRST_LOOK_BUDGET", DEFAULT_TUNING.first_look_budget, 0
            ),
            overlap=timedelta(minutes=_int(env, "QBWC_SYNC_OVERLAP_MINUTES", 120, 0)),
        ),
        trusted_proxies=trusted_proxies,
        log_format=log_format,
        metrics_token=metrics_token,
        audit_mode=audit_mode,
        audit_retention_days=_int(env, "QBWC_AUDIT_RETENTION_DAYS", 30, 1),
        workers=_int(env, "QBWC_WORKERS", 2, 1),
        timeout_seconds=_int(env, "QBWC_TIMEOUT_SECONDS", 300, 30),
        client_timeout_seconds=_int(env, "QBWC_CLIENT_TIMEOUT_SECONDS", 30, 1),
    )


def format_guid(value: str | uuid.UUID) -> str:
    """GUIDs in .qwc files and data extensions are written in braces, upper case (§4.1)."""
    text = str(value).strip("{}").upper()
    return "{" + text + "}"


def new_guid() -> str:
    return format_guid(uuid.uuid4())
