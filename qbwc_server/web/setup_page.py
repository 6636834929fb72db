"""The setup page for the person at the QuickBooks PC: ``/setup/{token}``, no sign-in.

Opened by the link of ``POST /api/companies/{id}/setup-link`` (``services/setup_links.py``).
Everything here acts on the one company the token names, and on nothing else: the URL carries
no company id, no route under ``/setup/`` reads the admin session cookie or sets a cookie of
its own, and the token is never accepted by ``/api`` or the admin pages.

- ``GET /setup/{token}``: the customer guide's steps in plain words, Download Connector,
  Generate Connector Key, and the live checklist (``web/setup_checklist.py``; the page's script
  re-reads this page every few seconds and swaps the checklist in — without JavaScript the
  Refresh link does the same);
- ``POST /setup/{token}/connector``: this company's .qwc as a download (recorded for the
  checklist, hence a POST);
- ``GET /setup/{token}/connector-key``: the confirmation (the old key stops working at once);
  ``POST`` generates the new key and shows it once, with a Copy button;
- ``POST /setup/{token}/begin-sync`` and ``/not-this-file``: the answer to "is this the right
  QuickBooks file?" while the company is Waiting for confirmation (``services/binding.py``).

Every POST carries the page's CSRF token (an HMAC of the link's token, never stored) and must
come from our own origin (``security/csrf.py``). A token that is unknown, replaced, revoked or
expired gets the same 404 page, which names no company.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from models import utcnow
from qbwc_server.runtime import Runtime
from qbwc_server.security.csrf import FORM_FIELD
from qbwc_server.security.csrf import refusal as csrf_refusal
from qbwc_server.services import binding, setup_links
from qbwc_server.services import companies as svc
from qbwc_server.services.errors import Invalid
from qbwc_server.services.qwc import qwc_filename, render_qwc
from qbwc_server.services.settings_store import owner_id
from qbwc_server.web.rendering import render
from qbwc_server.web.setup_checklist import every, setup_status

log = logging.getLogger(__name__)

RULES = [
    Rule("/setup/<token>", methods=["GET"], endpoint="setup_page"),
    Rule("/setup/<token>/connector", methods=["POST"], endpoint="setup_connector"),
    Rule("/setup/<token>/connector-key", methods=["GET", "POST"], endpoint="setup_key"),
    Rule("/setup/<token>/begin-sync", methods=["POST"], endpoint="setup_begin_sync"),
    Rule("/setup/<token>/not-this-file", methods=["POST"], endpoint="setup_not_this_file"),
]
REFRESH_SECONDS = 5
FILE_CHANGED = (
    "Nothing was changed: the company file waiting for confirmation is not the one you saw "
    "(the Web Connector found another file since, or someone answered already). Check the "
    "Progress panel again."
)
ALREADY_NEW = (
    "No new key was made: the Connector Key changed since you asked (the form was sent twice, "
    "or someone else generated a key). Use the key you were shown, or generate a new one."
)


def register(url_map: Map) -> None:
    for rule in RULES:
        url_map.add(rule.empty())


def csrf_token_for(token: str) -> str:
    """The CSRF token of a setup link's forms (from the link's token, never stored)."""
    return hmac.new(token.encode(), b"qbwc-setup-link-csrf-v1", hashlib.sha256).hexdigest()


def handle(rt: Runtime, endpoint: str, request: Request, args: Mapping[str, Any]) -> Response:
    token = str(args["token"])
    if request.method == "POST":
        with rt.db.transaction() as s:
            found = setup_links.lookup(s, token)
        if found is None:
            return gone()
        reason = csrf_refusal(request, rt.settings, csrf_token_for(token), form_ok=True)
        if reason:
            return render("setup_gone.html", 403, message=f"Refused: {reason}.")
        if endpoint == "setup_connector":
            return _download(rt, token)
        if endpoint in ("setup_begin_sync", "setup_not_this_file"):
            return _answer_file(rt, token, endpoint, request.form.get("seen_at", ""))
        return _new_key(rt, token, request.form.get("key_version", ""))
    if endpoint == "setup_key":
        return _page(rt, token, "setup_key.html")
    return _page(rt, token, "setup.html")


def gone() -> Response:
    return render(
        "setup_gone.html",
        404,
        message="This setup link does not work: it was mistyped, has expired, or was replaced "
        "by a newer one. Ask the person who sent it to you for a new link.",
    )


def _page(rt: Runtime, token: str, template: str, **extra: Any) -> Response:
    with rt.db.transaction() as s:
        found = setup_links.lookup(s, token)
        if found is None:
            return gone()
        link, company = found
        status = setup_status(s, link, company, rt.settings, utcnow())
        names = {
            "key_version": company.key_version,
            "confirm_binding": bool(company.confirm_binding),
            "name": company.name,
            "app_name": company.app_name,
            "sync_every": every(company.sync_interval_minutes),
        }
    csrf = csrf_token_for(token)
    return render(
        template,
        company=names,
        s=status,
        base=setup_links.PATH_PREFIX + token,
        refresh_seconds=REFRESH_SECONDS,
        csrf_token=csrf,
        csrf_field=Markup(f'<input type="hidden" name="{FORM_FIELD}" value="{escape(csrf)}">'),
        **extra,
    )


def _download(rt: Runtime, token: str) -> Response:
    oid = owner_id(rt.db, rt.settings)
    try:
        with rt.db.transaction() as s:
            found = setup_links.lookup(s, token, for_update=True)
            if found is None:
                return gone()
            link, company = found
            text = render_qwc(company, rt.settings, oid)
            name = qwc_filename(company)
            setup_links.mark_downloaded(link)
            cid = company.id
    except Invalid as exc:
        return render(
            "setup_gone.html",
            503,
            message="This server is not ready for Web Connectors yet, so the connector cannot "
            f"be downloaded. Please tell the person who sent you this link. ({exc.message})",
        )
    log.info("connector (.qwc) of company %s downloaded through its setup link", cid)
    return Response(
        text,
        mimetype="application/x-qwc",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _answer_file(rt: Runtime, token: str, endpoint: str, seen_at: str) -> Response:
    """Begin Sync (bind the file waiting for confirmation: the next run syncs) or Not this file
    (forget it: the next run reads the open file again) — for the file the person saw: the form
    carries when it was found, so an answer never lands on another file found since."""
    with rt.db.transaction() as s:
        found = setup_links.lookup(s, token, for_update=True)
        if found is None:
            return gone()
        _link, company = found
        pending = company.pending_binding
        if company.bound_at is not None or not pending or str(pending.get("seen_at")) != seen_at:
            answered = None
        elif endpoint == "setup_begin_sync":
            binding.confirm_binding(s, company.id)
            answered = "confirmed (Begin Sync)"
        else:
            binding.reset_binding(s, company.id)
            answered = "rejected (not this file)"
        cid = company.id
    if answered is None:
        return _page(rt, token, "setup.html", notice=FILE_CHANGED)
    log.info("company file of company %s %s through its setup link", cid, answered)
    return redirect(setup_links.PATH_PREFIX + token, 303)


def _new_key(rt: Runtime, token: str, seen_version: str) -> Response:
    """Rotate the key, once per confirmation: the form carries the key version the person saw,
    so a second click or a reload that sends the form again does not replace the key they have
    just been shown (and perhaps pasted)."""
    with rt.db.transaction() as s:
        found = setup_links.lookup(s, token, for_update=True)
        if found is None:
            return gone()
        _link, company = found
        confirmed = seen_version == str(company.key_version)
        key = svc.rotate_key(s, company) if confirmed else None
        cid = company.id
    if key is None:
        return _page(rt, token, "setup.html", notice=ALREADY_NEW)
    log.info("new Connector Key generated for company %s through its setup link", cid)
    return _page(rt, token, "setup.html", new_key=key)


HANDLERS = frozenset(rule.endpoint for rule in RULES)

__all__ = ["HANDLERS", "csrf_token_for", "gone", "handle", "register"]
