# qbwc-server: the QuickBooks Web Connector server.
#   docker build -t qbwc-server .
#   docker run -p 8000:8000 -v qbwc-data:/data \
#     -e QBWC_PUBLIC_URL=https://sync.example.com -e QBWC_ADMIN_TOKEN=... qbwc-server
# Every setting is an environment variable: see .env.example.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A virtualenv works the same on the official Python image and on a plain Debian base.
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /app
COPY pyproject.toml README.md ./
COPY qbwc_server ./qbwc_server
COPY models ./models
COPY migrations ./migrations
COPY qwc_templates ./qwc_templates
RUN pip install . && useradd --system --home /data --shell /usr/sbin/nologin qbwc \
    && mkdir -p /data && chown qbwc /data

USER qbwc
WORKDIR /data
# SQLite in the volume by default; point DATABASE_URL at PostgreSQL for production.
# JSON logs for the log collector; gunicorn workers and their timeout (a multi-MB
# receiveResponseXML page must fit in QBWC_TIMEOUT_SECONDS) from the environment.
ENV DATABASE_URL=sqlite:////data/qbwc.db \
    QBWC_LOG_FORMAT=json \
    QBWC_WORKERS=2 \
    QBWC_TIMEOUT_SECONDS=300 \
    PORT=8000
VOLUME ["/data"]
EXPOSE 8000
# Ready = database reachable and migrations current (503 otherwise), not just "process up".
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os,urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('PORT', '8000'), timeout=4).status == 200 else 1)"
CMD ["qbwc-server", "serve", "--host", "0.0.0.0"]
