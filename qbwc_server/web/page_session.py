"""One Web Connector session (``/companies/{id}/sessions/{sid}``): when and how long, how many
calls, records and requests, each error with its explanation from the help catalog, and the
qbXML exchange in short when the audit trail kept it (the full exchange is the API's)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from qbwc_server.audit.views import get_session, session_detail
from qbwc_server.help.catalog import problem_for_outcome
from qbwc_server.runtime import Runtime
from qbwc_server.security.admin_auth import Caller
from qbwc_server.services import companies as svc
from qbwc_server.web import words
from qbwc_server.web.rendering import render
from qbwc_server.web.timefmt import span_seconds

_RQ = re.compile(r"<(\w+)Rq\b")  # the trail keeps the qbXML we sent (audit/recorder.py)


def _requests_in_short(exchange: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """``[("VendorQuery", 3), ...]``: the qbXML requests the session sent, counted."""
    counts: Counter[str] = Counter()
    for call in exchange:
        if call.get("method") == "sendRequestXML" and call.get("request"):
            counts.update(n for n in _RQ.findall(str(call["request"])) if n != "QBXMLMsgs")
    return list(counts.items())


def _errors(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The session's errors, each with the catalog entry that explains it (when one does)."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for event in view["events"]:
        text = str(event.get("message") or "")
        key = f"{event.get('code')}|{text}"
        if key in seen:
            continue
        seen.add(key)
        out.append({"at": event["at"], "message": text, "help": words.explain(event["code"], text)})
    last = view.get("last_error")
    if last and not any(e["message"] == last for e in out):
        out.append({"at": view["ended_at"], "message": last, "help": words.explain(None, last)})
    return out


def show(
    rt: Runtime, request: Request, caller: Caller, company_id: str, session_id: str
) -> Response:
    with rt.db.transaction() as s:
        company = svc.get_company(s, company_id)
        row = get_session(s, session_id, company.id)
        sync = row.state.get("sync") if isinstance(row.state, dict) else None
        records = int(sync.get("processed") or 0) if isinstance(sync, dict) else 0
        view = session_detail(s, row, rt.settings, bodies=True)
        name = company.name
    exchange = view.get("exchange") or []
    errors = _errors(view)
    outcome_help = _outcome_help(view["outcome"])
    if outcome_help and any((e["help"] or {}).get("code") == outcome_help["code"] for e in errors):
        outcome_help = None  # the error below carries the same explanation
    return render(
        "session.html",
        caller=caller,
        company={"id": company.id, "name": name},
        s=view,
        records=records,
        seconds=span_seconds(view["started_at"], view["ended_at"]),
        requests=_requests_in_short(exchange),
        errors=errors,
        outcome_help=outcome_help,
        exchange=exchange,
    )


def _outcome_help(outcome: str | None) -> dict[str, Any] | None:
    found = problem_for_outcome(outcome)
    return found.as_dict() if found is not None else None


_PATH = "/companies/<company_id>/sessions/<session_id>"
ROUTES = [(Rule(_PATH, methods=["GET"], endpoint="page_session"), show)]
