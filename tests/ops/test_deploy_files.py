"""Issue 12 item 6: the deployment files say what the code does. ``.env.example`` holds every
setting the server reads; the Dockerfile runs gunicorn from the environment with JSON logs and a
health check on /readyz; compose has restart policies and the commented TLS proxy."""

from __future__ import annotations

import re

from qbwc_server.config import KNOWN_VARIABLES, TEST_ONLY_VARIABLES, load_settings
from tests.conftest import PROJECT_ROOT

TEST_ONLY = TEST_ONLY_VARIABLES


def _env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (PROJECT_ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]+)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


def _settings_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for path in (PROJECT_ROOT / "qbwc_server").rglob("*.py"):
        if "/sim/" in str(path):
            continue  # the simulator is a separate tool with its own command-line options
        names.update(re.findall(r"\"(QBWC_[A-Z0-9_]+)\"", path.read_text()))
    return names - TEST_ONLY


def test_every_setting_is_in_env_example_with_its_meaning() -> None:
    documented = _env_example()
    read = _settings_read_by_the_code()
    assert read >= {"QBWC_PUBLIC_URL", "QBWC_WORKERS", "QBWC_AUDIT"}
    missing = sorted((read | (KNOWN_VARIABLES - TEST_ONLY) | {"DATABASE_URL"}) - set(documented))
    assert not missing, f"add to .env.example with their meaning: {missing}"
    text = (PROJECT_ROOT / ".env.example").read_text().splitlines()
    for name in documented:
        at = next(i for i, line in enumerate(text) if re.match(rf"^#?\s*{name}=", line))
        assert text[at - 1].startswith("#"), f"{name}: no comment saying what it means"


def test_env_example_is_a_valid_configuration() -> None:
    env = {k: v for k, v in _env_example().items() if k.startswith("QBWC_")}
    settings = load_settings(env)  # no unknown variable, every value well-formed
    assert settings.public_url.startswith("https://") and settings.log_format == "json"


def test_dockerfile_runs_gunicorn_from_the_environment() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "QBWC_LOG_FORMAT=json" in dockerfile
    assert "QBWC_WORKERS=" in dockerfile and "QBWC_TIMEOUT_SECONDS=" in dockerfile
    assert "/readyz" in dockerfile.split("HEALTHCHECK", 1)[1]
    cmd = dockerfile.split("\nCMD ", 1)[1]
    assert '"serve"' in cmd and "--workers" not in cmd  # workers come from QBWC_WORKERS


def test_compose_has_postgres_restart_policies_and_a_tls_proxy() -> None:
    compose = (PROJECT_ROOT / "docker-compose.yml").read_text()
    assert "image: postgres:16" in compose
    assert compose.count("restart: unless-stopped") >= 2
    assert "env_file: .env" in compose
    assert "#   image: caddy:2" in compose
    caddyfile = (PROJECT_ROOT / "deploy" / "Caddyfile").read_text()
    assert "max_size 80MB" in caddyfile  # above QBWC_MAX_BODY_BYTES (64 MiB)
    assert "reverse_proxy server:8000" in caddyfile
