# qbwc-server: the QuickBooks Web Connector server.
#   docker build -t qbwc-server .
#   docker run -p 8000:8000 -v qbwc-data:/data \
#     -e QBWC_PUBLIC_URL=https://sync.example.com -e QBWC_ADMIN_TOKEN=... qbwc-server
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
ENV DATABASE_URL=sqlite:////data/qbwc.db
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["qbwc-server", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
