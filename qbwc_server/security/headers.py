"""Security headers on every response: pages, JSON API, SOAP, health checks and errors.

Applied in one place, around the whole WSGI app (``QbwcApp.__call__``), so no route can forget
them and a new route family gets them without doing anything:

- ``Content-Security-Policy``: pages may load their own styles, scripts and images only (no
  inline script, no plugins, forms post back to this origin); everything else (JSON, XML,
  files) loads nothing at all. Both forbid framing (``frame-ancestors 'none'``), the defence
  against clickjacking of the sign-in and company pages. ``X-Frame-Options: DENY`` says the
  same to browsers that predate CSP level 2.
- ``X-Content-Type-Options: nosniff``: a JSON error echoing input is never sniffed as HTML.
- ``Referrer-Policy: same-origin``: company ids in our URLs never leak to other sites. (Not
  ``no-referrer``: with it browsers send ``Origin: null`` on our own form posts, and the
  same-origin check of ``security/csrf.py`` needs the real origin.)
- ``Cache-Control: no-store`` on everything except the static assets: API answers, pages,
  .qwc downloads and SOAP messages all carry company data, which must not stay in a shared
  proxy cache or the browser's disk cache after sign-out.
- ``Cross-Origin-Opener-Policy`` / ``Cross-Origin-Resource-Policy: same-origin``: other sites
  can neither script a window of ours nor embed our responses.
- ``Strict-Transport-Security`` when ``QBWC_PUBLIC_URL`` is https (the reverse proxy may send
  it too; browsers take the first).

The values replace whatever a handler set, so a handler cannot weaken them by accident.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from qbwc_server.config import Settings

StartResponse = Callable[..., Any]

# The pages: same-origin assets only. A later page that needs a script serves it from /static.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Anything that is not a page: nothing to load, nothing to run, never framed.
DOCUMENT_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

STATIC_PREFIX = "/static/"
HSTS = "max-age=31536000"

_FIXED = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
MANAGED = frozenset(
    name.lower()
    for name in (
        *(n for n, _ in _FIXED),
        "Content-Security-Policy",
        "Strict-Transport-Security",
        "Cache-Control",
        "Pragma",
    )
)


def security_headers(
    path: str, content_type: str, https: bool, cache_control: str | None
) -> list[tuple[str, str]]:
    """The headers for one response. ``cache_control`` is what the handler asked for; it is
    kept only for static assets (which hold no company data)."""
    kept_cache = cache_control if path.startswith(STATIC_PREFIX) else None
    return list(_headers_for(content_type, https, kept_cache))


@functools.lru_cache(maxsize=256)
def _headers_for(
    content_type: str, https: bool, cache_control: str | None
) -> tuple[tuple[str, str], ...]:
    """:func:`security_headers` by what they depend on, made once: every SOAP answer needs the
    same ones (the handlers set a few content types and cache controls)."""
    is_html = content_type.split(";", 1)[0].strip().lower() == "text/html"
    out = [*_FIXED, ("Content-Security-Policy", PAGE_CSP if is_html else DOCUMENT_CSP)]
    out.append(("Cache-Control", cache_control or "no-store"))
    if https:
        out.append(("Strict-Transport-Security", HSTS))
    return tuple(out)


def with_security_headers(
    start_response: StartResponse, environ: dict[str, Any], settings: Settings
) -> StartResponse:
    """Wrap a WSGI ``start_response`` so the response gets :func:`security_headers`."""
    path = str(environ.get("PATH_INFO") or "")
    https = settings.public_url.startswith("https://")
    static = path.startswith(STATIC_PREFIX)

    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        content_type = ""
        cache_control = None
        kept: list[tuple[str, str]] = []
        for name, value in headers:
            lowered = name.lower()
            if lowered == "content-type":
                content_type = value
            elif lowered == "cache-control":
                cache_control = value
            if lowered not in MANAGED:
                kept.append((name, value))
        kept.extend(_headers_for(content_type, https, cache_control if static else None))
        if exc_info is not None:
            return start_response(status, kept, exc_info)
        return start_response(status, kept)

    return start


__all__ = ["DOCUMENT_CSP", "PAGE_CSP", "security_headers", "with_security_headers"]
