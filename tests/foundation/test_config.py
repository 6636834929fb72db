"""Settings from the environment: safe defaults, and a clear error naming every bad variable."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from qbwc_server.config import DEFAULT_DATABASE_URL, ConfigError, load_settings

VALID_GUID = "5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def test_defaults_are_safe_when_nothing_is_set() -> None:
    s = load_settings({})
    assert s.database_url == DEFAULT_DATABASE_URL == "sqlite:///./qbwc.db"
    assert s.sync_lease_seconds == 120
    assert s.admin_token is None  # no token: admin API and pages stay closed
    assert s.owner_id is None  # generated once and persisted by the server
    assert s.qbwc_url == "http://localhost:8000/qbwc"


def test_reads_os_environ_when_no_mapping_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QBWC_SYNC_LEASE_SECONDS", "300")
    monkeypatch.setenv("QBWC_PUBLIC_URL", "https://qb.example.com/")
    s = load_settings()
    assert s.sync_lease_seconds == 300
    # A trailing slash must not produce "//qbwc" in the .qwc.
    assert s.qbwc_url == "https://qb.example.com/qbwc"
    assert s.support_url == "https://qb.example.com/support"


def test_public_url_with_a_path_prefix_keeps_it() -> None:
    s = load_settings({"QBWC_PUBLIC_URL": "https://example.com/ap/"})
    assert s.qbwc_url == "https://example.com/ap/qbwc"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://user@db.internal/qbwc", "postgresql+psycopg://user@db.internal/qbwc"),
        ("postgres://u:pw@h:5433/d", "postgresql+psycopg://u:pw@h:5433/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////var/lib/qbwc/qbwc.db", "sqlite:////var/lib/qbwc/qbwc.db"),
    ],
)
def test_database_url_is_normalized_to_psycopg3(given: str, expected: str) -> None:
    url = load_settings({"DATABASE_URL": given}).database_url
    assert url == expected
    # SQLAlchemy must be able to load the driver for the normalized URL (psycopg 3, not 2).
    dialect = make_url(url).get_dialect()
    if expected.startswith("postgresql"):
        assert dialect.driver == "psycopg"


def test_postgres_plus_psycopg_alias_is_normalized_or_refused() -> None:
    try:
        url = load_settings({"DATABASE_URL": "postgres+psycopg://u@h/d"}).database_url
    except ConfigError as exc:
        assert "DATABASE_URL" in str(exc)
        return
    make_url(url).get_dialect()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://root:s3cret-pw@db/qbwc"),
        ("DATABASE_URL", "postgresql+psycopg2://u@h/d"),
        ("DATABASE_URL", "just-a-path.db"),
        ("QBWC_PUBLIC_URL", "ftp://qb.example.com"),
        ("QBWC_PUBLIC_URL", "https://"),
        ("QBWC_PUBLIC_URL", "qb.example.com"),
        ("QBWC_PUBLIC_URL", "https://qb.example.com/?x=1"),
        ("QBWC_PUBLIC_URL", "https://qb.example.com/#top"),
        ("QBWC_ADMIN_TOKEN", "short"),
        ("QBWC_OWNER_ID", "not-a-guid"),
        ("QBWC_OWNER_ID", "{5b1f2c3d-4e5f-4a6b-8c7d}"),
        ("QBWC_SYNC_LEASE_SECONDS", "abc"),
        ("QBWC_SYNC_LEASE_SECONDS", "2.5"),
        ("QBWC_SYNC_LEASE_SECONDS", "-1"),
        ("QBWC_SYNC_LEASE_SECONDS", "0"),
        ("QBWC_TICKET_TTL_SECONDS", "ten"),
        ("QBWC_MAX_BODY_BYTES", "1"),
        ("QBWC_LOGIN_FAILURE_LIMIT", "0"),
        ("QBWC_LOGIN_FAILURE_WINDOW_SECONDS", "x"),
        ("QBWC_CONNECTED_WINDOW_SECONDS", "5"),
        ("QBWC_MIN_CLIENT_VERSION", "latest"),
        ("QBWC_WARN_CLIENT_VERSION", "2.3.0.215.1"),
        ("QBWC_LOG_LEVEL", "verbose"),
    ],
)
def test_malformed_setting_is_refused_with_its_name(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({variable: value})
    message = str(info.value)
    assert variable in message
    # Secrets in the bad value must not be echoed into logs.
    assert "s3cret-pw" not in message


def test_unknown_qbwc_variable_is_refused_by_name() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"QBWC_FOO": "1", "QBWC_ADMIN_TOKEN": "x" * 20})
    assert "QBWC_FOO" in str(info.value)


def test_typo_of_a_security_setting_is_not_silently_ignored() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"QBWC_ADMIN_TOKN": "a-long-enough-admin-token"})
    assert "QBWC_ADMIN_TOKN" in str(info.value)


def test_unrelated_variables_are_ignored() -> None:
    s = load_settings({"PATH": "/usr/bin", "HOME": "/root", "QBWC_SYNC_LEASE_SECONDS": "60"})
    assert s.sync_lease_seconds == 60


def test_empty_values_fall_back_to_defaults() -> None:
    s = load_settings(
        {
            "DATABASE_URL": "",
            "QBWC_SYNC_LEASE_SECONDS": "",
            "QBWC_ADMIN_TOKEN": "",
            "QBWC_OWNER_ID": "",
        }
    )
    assert s.database_url == DEFAULT_DATABASE_URL
    assert s.sync_lease_seconds == 120
    assert s.admin_token is None
    assert s.owner_id is None


@pytest.mark.parametrize(
    "given",
    [VALID_GUID, VALID_GUID.upper(), "{" + VALID_GUID + "}"],
)
def test_owner_id_is_written_in_braces_upper_case(given: str) -> None:
    # §4.1: GUIDs in .qwc files are written in braces.
    assert load_settings({"QBWC_OWNER_ID": given}).owner_id == "{" + VALID_GUID.upper() + "}"


def test_valid_values_are_taken() -> None:
    s = load_settings(
        {
            "QBWC_SYNC_LEASE_SECONDS": "45",
            "QBWC_ADMIN_TOKEN": "0123456789abcdef",
            "QBWC_LOG_LEVEL": "debug",
            "QBWC_MIN_CLIENT_VERSION": "2.1.0.30",
        }
    )
    assert s.sync_lease_seconds == 45
    assert s.admin_token == "0123456789abcdef"
    assert s.log_level == "DEBUG"
    assert s.min_client_version == "2.1.0.30"
