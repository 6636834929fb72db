"""Cross-site request forgery: a browser's cookie must not let another site change anything.

A request authenticated by the sign-in cookie that changes state (any method but GET, HEAD,
OPTIONS) must

1. come from our own origin, as far as the browser says: ``Sec-Fetch-Site`` (when sent) is
   ``same-origin`` (or ``none``, a person typing), and ``Origin`` (when sent) is the origin of
   ``QBWC_PUBLIC_URL`` or the one the request was addressed to; and
2. carry the session's CSRF token: header ``X-CSRF-Token`` (scripts) or form field
   ``csrf_token`` (HTML forms). The token is an HMAC of the session's cookie value, so it is
   stable for the session, differs between sessions, is worthless once the session ends, and
   another site can neither read nor compute it.

Either check alone stops the attack that rotated a Connector Key with a cross-site text/plain
POST; both together also hold for old browsers (no Sec-Fetch-*) and for a sibling application
on the same site (SameSite cookies are sent to us from there). Bearer-token clients are not
affected: a browser never attaches an ``Authorization`` header for another site.

Pages render the token with ``csrf_token`` in their template context (``web/pages.py``);
``csrf_field`` there writes the hidden input a form needs.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from werkzeug.wrappers import Request

from qbwc_server.config import Settings

HEADER = "X-CSRF-Token"
FORM_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def token_for(session_token: str) -> str:
    """The CSRF token of a sign-in session (from its cookie value, never stored)."""
    return hmac.new(session_token.encode(), b"qbwc-csrf-token-v1", hashlib.sha256).hexdigest()


def _origin(url: str) -> str | None:
    """``scheme://host[:port]`` in canonical form (default port dropped), or None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def allowed_origins(request: Request, settings: Settings) -> set[str]:
    found = {_origin(settings.public_url), _origin(request.host_url)}
    return {o for o in found if o}


def cross_site_reason(request: Request, settings: Settings) -> str | None:
    """Why the browser says this request came from another site, or None."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site.strip().lower() not in ("same-origin", "none"):
        return f"cross-site request refused (Sec-Fetch-Site: {site[:40]})"
    origin = request.headers.get("Origin")
    if origin is not None:
        canonical = _origin(origin)
        if canonical is None or canonical not in allowed_origins(request, settings):
            return f"request from another origin refused (Origin: {origin[:100]})"
    return None


def presented_token(request: Request, *, form_ok: bool) -> str | None:
    token = request.headers.get(HEADER)
    if token is None and form_ok and request.mimetype in FORM_TYPES:
        token = request.form.get(FORM_FIELD)
    return token


def refusal(
    request: Request, settings: Settings, expected: str | None, *, form_ok: bool
) -> str | None:
    """Why a cookie-authenticated state-changing request is refused, or None to let it in.
    ``form_ok``: the token may come as a form field (pages), not only as the header (API)."""
    reason = cross_site_reason(request, settings)
    if reason:
        return reason
    token = presented_token(request, form_ok=form_ok)
    where = f"the {HEADER} header" + (f" or the {FORM_FIELD} form field" if form_ok else "")
    if not token:
        return f"missing CSRF token: send the page's token in {where}"
    if not expected or not hmac.compare_digest(token.encode("utf-8", "replace"), expected.encode()):
        return f"wrong CSRF token in {where}: reload the page"
    return None


__all__ = [
    "FORM_FIELD",
    "HEADER",
    "SAFE_METHODS",
    "allowed_origins",
    "cross_site_reason",
    "refusal",
    "token_for",
]
