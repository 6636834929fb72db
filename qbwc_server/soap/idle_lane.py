"""The idle lane: the calls of a Web Connector session answered without spyne.

Most SOAP calls at scale are a poll with nothing to do: serverVersion, clientVersion,
authenticate (``none``), closeConnection. Their work is tiny (one indexed read at most), and
spyne's dispatch — schema validation, object mapping, events, serializing through lxml — cost
several times that work. A sync's calls (sendRequestXML, receiveResponseXML, getLastError,
connectionError) are many too, and spyne's dispatch was about a tenth of their fixed cost.
This lane takes the envelope the guard already parsed (``soap/envelope.py``), answers those
methods through the same code as the spyne service (``soap/calls.py``) and writes the answer
the way spyne writes it, byte for byte (``tests/foundation/test_idle_lane.py`` compares them).
spyne's ``method_call`` and ``method_return_object`` events are fired with the same facts, so
metrics and the audit trail see these calls as before.

Anything unusual — another method, an unknown or repeated parameter, a nested element, an
attribute, text between elements, a SOAP header, an integer parameter that is not plain
digits — goes to spyne, which validates and answers or faults exactly as it always did.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from qbwc_server.soap.calls import QbwcCalls

TNS = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_BODY = f"{{{SOAP_ENV}}}Body"

# Methods answered without the database or any wait (engine/client_versions.py keeps the QBWC
# version in memory): the serving worker answers them on its event loop, without a thread
# (serving/worker.py) — with the closeConnection of a signed "none" ticket — and marks the
# request with EVENT_LOOP_KEY; the endpoint then refuses a body that calls anything that could
# wait (soap/wsgi.py), so nothing that waits can run there.
NO_DATABASE_METHODS = frozenset({"serverVersion", "clientVersion"})
EVENT_LOOP_KEY = "qbwc.event_loop"


def action_method(header: str) -> str:
    """The method a SOAPAction header names (``"http://developer.intuit.com/authenticate"``
    -> ``authenticate``)."""
    return header.strip('"').rsplit("/", 1)[-1]


# Parameters in schema order (protocol doc §3).
PARAMETERS: dict[str, tuple[str, ...]] = {
    "serverVersion": ("strVersion",),
    "clientVersion": ("strVersion",),
    "authenticate": ("strUserName", "strPassword"),
    "closeConnection": ("ticket",),
    "sendRequestXML": (
        "ticket",
        "strHCPResponse",
        "strCompanyFileName",
        "qbXMLCountry",
        "qbXMLMajorVers",
        "qbXMLMinorVers",
    ),
    "receiveResponseXML": ("ticket", "response", "hresult", "message"),
    "connectionError": ("ticket", "hresult", "message"),
    "getLastError": ("ticket",),
}
# xs:integer parameters: taken here only as plain digits (anything else is spyne's to judge).
INTEGERS = frozenset({"qbXMLMajorVers", "qbXMLMinorVers"})
_DIGITS = re.compile(r"[0-9]{1,9}")
Handler = Callable[[list[Any], dict[str, Any]], str | int | list[str]]

_HEAD = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    f'<soap11env:Envelope xmlns:soap11env="{SOAP_ENV}" xmlns:tns="{TNS}"><soap11env:Body>'
)
_TAIL = "</soap11env:Body></soap11env:Envelope>"


def _text(value: str) -> str:
    """Character data as lxml writes it (what spyne's answers are made with)."""
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def response(method: str, result: str | int | list[str]) -> bytes:
    """``<{method}Response><{method}Result>…`` as spyne writes it; a list as ``tns:string``s."""
    if isinstance(result, list):
        inner = "".join(f"<tns:string>{_text(word)}</tns:string>" for word in result)
    elif isinstance(result, int):
        inner = str(result)
    else:
        inner = _text(result)
    return (
        f"{_HEAD}<tns:{method}Response><tns:{method}Result>{inner}</tns:{method}Result>"
        f"</tns:{method}Response>{_TAIL}"
    ).encode()


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def called_method(root: Any) -> str | None:
    """The local name of the Body's first element (the QBWC method the envelope calls)."""
    for part in root:
        if part.tag == _BODY:
            for call in part:
                if isinstance(call.tag, str):
                    return str(call.tag).rsplit("}", 1)[-1]
            return None
    return None


def parse_call(root: Any) -> tuple[str, list[Any]] | None:
    """(method, arguments in parameter order) of a plain call of one of the lane's methods
    (strings, and ints for :data:`INTEGERS`); None for anything else (spyne takes it)."""
    if len(root) != 1 or root[0].tag != _BODY:
        return None  # a SOAP header, or something that is no envelope spyne would take
    body = root[0]
    if len(body) != 1 or not _blank(body.text) or body.attrib:
        return None
    call = body[0]
    tag = call.tag
    if not isinstance(tag, str) or not tag.startswith(f"{{{TNS}}}"):
        return None
    method = tag[len(TNS) + 2 :]
    names = PARAMETERS.get(method)
    if names is None or call.attrib or not _blank(call.text) or not _blank(call.tail):
        return None
    args: list[Any] = [None] * len(names)
    position = 0
    for child in call:
        child_tag = child.tag
        if not isinstance(child_tag, str) or not child_tag.startswith(f"{{{TNS}}}"):
            return None  # a comment, a processing instruction, another namespace
        name = child_tag[len(TNS) + 2 :]
        if name not in names[position:] or len(child) or child.attrib or not _blank(child.tail):
            return None  # unknown, repeated or out of order; nested; xsi:nil and the like
        position = names.index(name)
        if name in INTEGERS:
            if child.text is None or not _DIGITS.fullmatch(child.text):
                return None  # empty, signed, spaced, huge: spyne's schema decides
            args[position] = int(child.text)
        else:
            args[position] = child.text or ""
        position += 1
    return method, args


class IdleLane:
    def __init__(self, calls: QbwcCalls, spyne_app: Any) -> None:
        self.calls = calls
        self.events = spyne_app.event_manager
        self.handlers: dict[str, Handler] = {
            "serverVersion": lambda args, env: calls.server_version(),
            "clientVersion": lambda args, env: calls.client_version(
                args[0], calls.remote_addr(env)
            ),
            "authenticate": lambda args, env: calls.authenticate(
                args[0], args[1], calls.remote_addr(env), on_loop=bool(env.get(EVENT_LOOP_KEY))
            ),
            "closeConnection": lambda args, env: calls.close_connection(args[0]),
            "sendRequestXML": lambda args, env: calls.send_request_xml(*args),
            "receiveResponseXML": lambda args, env: calls.receive_response_xml(*args),
            "connectionError": lambda args, env: calls.connection_error(*args),
            "getLastError": lambda args, env: calls.get_last_error(args[0]),
        }

    def answer(self, method: str, args: list[Any], environ: dict[str, Any]) -> bytes:
        """The answer to a plain call of ``method`` with ``args``, as :func:`parse_call` gives
        them (the endpoint parses, or knows the body: soap/known_calls.py); anything
        :func:`parse_call` does not take is spyne's."""
        # The facts spyne's own method context carries, for the event listeners.
        ctx = SimpleNamespace(
            method_name=method,
            in_object=args,
            out_object=None,
            call_start=time.time(),
            transport=SimpleNamespace(req_env=environ),
        )
        self._fire("method_call", ctx)
        result = self.handlers[method](args, environ)
        ctx.out_object = [result]
        self._fire("method_return_object", ctx)
        return response(method, result)

    def _fire(self, event: str, ctx: Any) -> None:
        """spyne's ``fire_event`` without its cost: it builds an empty ordered set for a default
        on every call, listeners or not (a tenth of an idle call's time in the lane)."""
        for listener in self.events.handlers.get(event, ()):
            listener(ctx)
