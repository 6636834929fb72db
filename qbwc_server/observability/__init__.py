"""Running the server in production: request context, structured logs, Prometheus metrics.

Nothing here imports ``prometheus_client`` at import time except :mod:`.metrics`, which the
code that records or exposes metrics imports lazily: in multiprocess mode the
``PROMETHEUS_MULTIPROC_DIR`` variable must be set before the library is first imported
(``qbwc-server serve`` does that, :mod:`.multiproc`).
"""
