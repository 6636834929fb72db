"""``qbwc-server doctor``: is this installation able to serve Web Connectors? One line per
check, each failure with its fix; exit status 1 when any check fails (warnings do not fail).

The checks read only (apart from a scratch file next to a SQLite database) and may run while
the server is serving: settings, database reachability and latency, migrations, the public URL
the .qwc files carry, the AppSupport page the Web Connector checks, clock skew against the
database (leases and tickets expire by the servers' clocks), and a writable volume for SQLite.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import text

from qbwc_server.config import ConfigError, Settings, load_settings
from qbwc_server.db import Database, current_revision, head_revision

OK, WARN, FAIL = "ok", "warn", "FAIL"
LATENCY_WARN_MS = 20.0  # a SOAP call makes about ten round trips to the database
SKEW_WARN_SECONDS = 2.0
SKEW_FAIL_SECONDS = 10.0  # a lease is 120 s: replicas that disagree by more hand it over early
MIN_FREE_BYTES = 1024**3


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<4}  {self.name:<18} {self.detail}"
        return text + (f" -> fix: {self.fix}" if self.fix and self.status != OK else "")


Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def run_checks(
    env: Mapping[str, str] | None = None, *, clock: Clock = _utcnow, http_timeout: float = 5.0
) -> list[Check]:
    env = os.environ if env is None else env
    try:
        settings = load_settings(env)
    except ConfigError as exc:
        return [Check("settings", FAIL, str(exc), "correct the variable named above")]
    checks = [_settings(settings), _public_url(settings)]
    db = Database(settings.database_url)
    try:
        reachable = _database(db)
        checks.append(reachable)
        if reachable.status != FAIL:
            checks.append(_migrations(db))
            checks.append(_clock_skew(db, clock))
        checks.append(_volume(settings))
    finally:
        db.dispose()
    if checks[1].status == FAIL:
        # A URL the Web Connector refuses is not worth fetching (and may point anywhere).
        checks.append(Check("AppSupport", WARN, "not checked: fix the public URL first"))
    else:
        checks.append(_app_support(settings, http_timeout))
    return checks


def _settings(settings: Settings) -> Check:
    notes = []
    if not settings.admin_token:
        notes.append("QBWC_ADMIN_TOKEN unset: the API and pages are off")
    if settings.log_format != "json":
        notes.append("text logs (QBWC_LOG_FORMAT=json for a log collector)")
    detail = "valid" + (f"; {'; '.join(notes)}" if notes else "")
    fix = "set QBWC_ADMIN_TOKEN to a long random secret" if not settings.admin_token else ""
    return Check("settings", WARN if fix else OK, detail, fix)


def _public_url(settings: Settings) -> Check:
    url = settings.public_url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host == "localhost":
        return Check("public URL", OK, f"{url} (localhost: the Web Connector must run here)")
    try:
        ip_address(host)
        is_ip = True
    except ValueError:
        is_ip = False
    fix = "set QBWC_PUBLIC_URL=https://<host name> (a TLS proxy in front, README 'Docker')"
    if is_ip:
        return Check(
            "public URL", FAIL, f"{url}: the Web Connector refuses IP addresses (§4.2)", fix
        )
    if parts.scheme != "https":
        return Check(
            "public URL",
            FAIL,
            f"{url}: the Web Connector refuses http except for localhost (§4.2)",
            fix,
        )
    if "." not in host:
        return Check("public URL", WARN, f"{url}: a host name without a domain", fix)
    return Check("public URL", OK, url)


def _database(db: Database) -> Check:
    where = db.engine.url.render_as_string(hide_password=True)
    try:
        with db.engine.connect() as conn:
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                conn.execute(text("SELECT 1"))
                timings.append((time.perf_counter() - started) * 1000)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        return Check(
            "database",
            FAIL,
            f"{where} not reachable: {reason}",
            "check DATABASE_URL, that the database server runs and accepts this host",
        )
    median = statistics.median(timings)
    detail = f"{where} reachable, {median:.1f} ms per round trip (median of 5)"
    if median > LATENCY_WARN_MS:
        return Check(
            "database",
            WARN,
            detail,
            "put the server next to the database: each SOAP call makes ~10 round trips",
        )
    return Check("database", OK, detail)


def _migrations(db: Database) -> Check:
    head = head_revision()
    try:
        current = current_revision(db)
    except Exception as exc:
        return Check("migrations", FAIL, f"cannot read the schema version: {exc}", "")
    if current == head:
        return Check("migrations", OK, f"current ({head})")
    if current is None:
        return Check("migrations", FAIL, "database is empty (no schema)", "qbwc-server migrate")
    return Check(
        "migrations",
        FAIL,
        f"database at {current}, this server needs {head}",
        "qbwc-server migrate (or run the server version that wrote this schema)",
    )


def _clock_skew(db: Database, clock: Clock) -> Check:
    if not db.is_postgres:
        return Check("clock", OK, "SQLite: the database uses this machine's clock")
    with db.engine.connect() as conn:
        before = clock()
        db_now = conn.execute(text("SELECT now()")).scalar_one()
        after = clock()
    local = before + (after - before) / 2
    skew = (db_now - local).total_seconds()
    detail = f"{abs(skew):.2f} s {'behind' if skew > 0 else 'ahead of'} the database"
    fix = "run NTP (chrony/systemd-timesyncd) on this host and the database host"
    if abs(skew) > SKEW_FAIL_SECONDS:
        return Check("clock", FAIL, detail + " (leases and tickets expire early/late)", fix)
    if abs(skew) > SKEW_WARN_SECONDS:
        return Check("clock", WARN, detail, fix)
    return Check("clock", OK, detail)


def _volume(settings: Settings) -> Check:
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if not url.drivername.startswith("sqlite"):
        return Check("volume", OK, "PostgreSQL: no local database file")
    path = url.database or ""
    if not path or path == ":memory:":
        return Check("volume", WARN, "in-memory SQLite: nothing survives a restart", "")
    directory = Path(path).resolve().parent
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".qbwc-doctor-") as scratch:
            scratch.write(b"x")
            scratch.flush()
            os.fsync(scratch.fileno())
        free = os.statvfs(directory)
    except OSError as exc:
        return Check(
            "volume",
            FAIL,
            f"{directory} not writable: {exc.strerror or exc}",
            "mount a writable volume there (Docker: -v qbwc-data:/data) or change DATABASE_URL",
        )
    free_bytes = free.f_bavail * free.f_frsize
    detail = f"{directory} writable, {free_bytes / 1024**3:.1f} GiB free"
    if free_bytes < MIN_FREE_BYTES:
        return Check("volume", WARN, detail, "free space: a large company file needs gigabytes")
    return Check("volume", OK, detail)


def _app_support(settings: Settings, timeout: float) -> Check:
    url = settings.support_url
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return Check(
            "AppSupport",
            FAIL,
            f"{url} did not answer: {reason}",
            "start the server (qbwc-server serve) and make QBWC_PUBLIC_URL reach it",
        )
    if status != 200:
        return Check(
            "AppSupport",
            FAIL,
            f"{url} answered {status}; the Web Connector needs 200 to add the application",
            "check the proxy in front of the server routes /support to it",
        )
    return Check("AppSupport", OK, f"{url} answers 200")


def report(checks: list[Check]) -> tuple[str, int]:
    """The printed report and the exit status (1 when any check failed)."""
    lines = [check.line() for check in checks]
    failed = [c.name for c in checks if c.status == FAIL]
    lines.append(
        f"{len(failed)} check(s) failed: {', '.join(failed)}" if failed else "all checks passed"
    )
    return "\n".join(lines), 1 if failed else 0
