"""Prometheus multiprocess mode for gunicorn: every worker writes its counters to files in
``PROMETHEUS_MULTIPROC_DIR`` and a scrape (answered by any one worker) adds them all up.

The directory must be known before ``prometheus_client`` is first imported (the library picks
its value class at import) and must start empty (files of an earlier run would be added to this
one's). ``qbwc-server serve`` calls :func:`prepare` before the app is loaded and
:func:`mark_dead` from gunicorn's ``child_exit`` hook, so a dead worker's gauges stop counting.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(path: str | None = None) -> tuple[Path, bool]:
    """Create (or empty) the metrics directory and export it to this process and its children.

    Returns the directory and whether it is ours to delete at exit (a temporary one)."""
    configured = path or os.environ.get(ENV) or ""
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink(missing_ok=True)
        owned = False
    else:
        directory = Path(tempfile.mkdtemp(prefix="qbwc-metrics-"))
        owned = True
    os.environ[ENV] = str(directory)
    if "prometheus_client" in sys.modules:
        # Imported earlier in this process: switch its value class to the file-backed one. Only
        # metrics created from now on use it, so ours must not exist yet.
        if "qbwc_server.observability.metrics" in sys.modules:
            raise RuntimeError("metrics were created before the multiprocess directory was set")
        from prometheus_client import values

        values.ValueClass = values.get_value_class()
    return directory, owned


def mark_dead(pid: int) -> None:
    """A worker exited: drop its live gauges (its counters keep counting, as Prometheus wants)."""
    if not os.environ.get(ENV):
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)


def remove(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)


def enabled() -> bool:
    return bool(os.environ.get(ENV))
