"""SOAP 1.1 client that talks to a QBWC server the way the Intuit Web Connector does.

Envelopes are written by hand so that they are byte-for-byte shaped like the real client's
(protocol doc §1.1 and ``reference/soap-captures/*_raw.xml``): one line, the
``<?xml version="1.0" encoding="utf-8"?>`` prolog, the ``soap:`` prefix with the ``xsi``/``xsd``
declarations, the operation element carrying ``xmlns="http://developer.intuit.com/"`` and
parameters as qualified children, empty values as ``<hresult />`` and qbXML as escaped text.

Only the standard library's ``http.client`` is used for HTTP, so the client can point at any
server URL (a local test server or a deployed one).
"""

from __future__ import annotations

import http.client
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from lxml import etree

TNS = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"

# Header the .NET web-services client of QBWC sends (MS Web Services Client Protocol); servers
# never depend on it, it only makes server logs look like real traffic.
DEFAULT_USER_AGENT = (
    "Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 4.0.30319.42000)"
)

# §4.4 / §1.1: QBWC wraps an exception during each call into one user-visible error code.
# serverVersion has no code of its own in the guide; QBWC treats the method as optional.
QBWC_ERROR_CODES: dict[str, str] = {
    "serverVersion": "",
    "clientVersion": "QBWC1036",
    "authenticate": "QBWC1012",
    "sendRequestXML": "QBWC1041",
    "receiveResponseXML": "QBWC1042",
    "getLastError": "QBWC1043",
    "closeConnection": "QBWC1044",
    "connectionError": "QBWC1045",
    "getInteractiveURL": "",
    "interactiveDone": "",
    "interactiveRejected": "",
}

ErrorKind = Literal[
    "transport",  # socket error, timeout, connection refused/reset
    "dropped_before",  # injected: connection dropped before the request was sent
    "dropped_after",  # injected: server handled the call, the answer was lost
    "http_status",  # non-200 without a SOAP fault
    "content_type",  # 200 but not text/xml (the famous "expected 'text/xml'" QBWC1012)
    "fault",  # SOAP Fault
    "malformed",  # body is not well-formed XML / not a SOAP envelope
    "missing_result",  # no <opResponse><opResult> (or xsi:nil) -> .NET NullReferenceException
    "bad_value",  # result present but not of the declared type (e.g. non-int progress)
]

ParamValue = str | int
T = TypeVar("T")
FaultHook = Callable[[str], Literal["before", "after"] | None]
# (path, body, headers) -> (HTTP status, Content-Type, body). Default: http.client.
Transport = Callable[[str, bytes, dict[str, str]], tuple[int, str, bytes]]

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


class QbwcCallError(Exception):
    """A call failed the way QBWC would report it to the user (code + text)."""

    def __init__(self, method: str, kind: ErrorKind, detail: str, *, http_status: int = 0) -> None:
        self.method = method
        self.kind: ErrorKind = kind
        self.detail = detail
        self.http_status = http_status
        self.code = QBWC_ERROR_CODES.get(method, "")
        super().__init__(self.shown)

    @property
    def shown(self) -> str:
        """The text QBWC would put in its status column / error dialog (wording approximated)."""
        prefix = f"{self.code}: " if self.code else ""
        return f"{prefix}Exception in {self.method}: {self.detail}"

    @property
    def is_transport(self) -> bool:
        return self.kind in ("transport", "dropped_before", "dropped_after")


@dataclass
class CallRecord:
    """One SOAP call as the client saw it."""

    method: str
    http_status: int = 0
    bytes_out: int = 0
    bytes_in: int = 0
    seconds: float = 0.0
    error: str | None = None
    dropped: Literal["before", "after"] | None = None


@dataclass
class SoapStats:
    """Running totals; callers take snapshots and subtract to get per-session numbers."""

    round_trips: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    wait_seconds: float = 0.0
    calls: list[CallRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def snapshot(self) -> tuple[int, int, int, float, int, int]:
        return (
            self.round_trips,
            self.bytes_sent,
            self.bytes_received,
            self.wait_seconds,
            len(self.calls),
            len(self.errors),
        )


def _escape_text(value: str) -> str:
    # Same escaping as the captures: &, <, > as entities; CR kept as a character reference so
    # the server's XML parser does not normalise CRLF inside qbXML away.
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")
    )


def build_envelope(method: str, params: Sequence[tuple[str, ParamValue]]) -> bytes:
    """Return the request body exactly as QBWC 2.x writes it (§1.1)."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:xsi="{XSI}" xmlns:xsd="{XSD}">',
        "<soap:Body>",
    ]
    if not params:
        parts.append(f'<{method} xmlns="{TNS}" />')
    else:
        parts.append(f'<{method} xmlns="{TNS}">')
        for name, value in params:
            text = str(value) if isinstance(value, int) else value
            if text == "":
                parts.append(f"<{name} />")
            else:
                parts.append(f"<{name}>{_escape_text(text)}</{name}>")
        parts.append(f"</{method}>")
    parts.append("</soap:Body></soap:Envelope>")
    return "".join(parts).encode("utf-8")


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _is_nil(element: etree._Element) -> bool:
    return element.get(f"{{{XSI}}}nil") in ("true", "1")


def parse_result_element(method: str, body: bytes, *, http_status: int = 200) -> etree._Element:
    """Return ``<methodResult>`` from a response body, or raise QbwcCallError.

    Tolerant of prefixes (``ns1:``, ``tns:``, default namespace) but strict on the namespace:
    the .NET client ignores elements outside ``http://developer.intuit.com/`` (§1.1).
    """
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise QbwcCallError(
            method, "malformed", f"response is not well-formed XML ({exc})", http_status=http_status
        ) from exc
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise QbwcCallError(
            method,
            "malformed",
            f"response root is {root.tag!r}, not a SOAP 1.1 Envelope",
            http_status=http_status,
        )
    body_el = root.find(f"{{{SOAP_ENV}}}Body")
    if body_el is None:
        raise QbwcCallError(
            method, "malformed", "SOAP Envelope has no Body", http_status=http_status
        )
    fault = body_el.find(f"{{{SOAP_ENV}}}Fault")
    if fault is not None:
        code = (fault.findtext("faultcode") or "").strip()
        text = (fault.findtext("faultstring") or "").strip()
        raise QbwcCallError(
            method, "fault", f"SOAP Fault {code}: {text}".strip(), http_status=http_status
        )
    response = body_el.find(f"{{{TNS}}}{method}Response")
    if response is None:
        found = [_local(child.tag) for child in body_el]
        raise QbwcCallError(
            method,
            "missing_result",
            f"no {method}Response element in the {TNS} namespace (body has {found})",
            http_status=http_status,
        )
    result = response.find(f"{{{TNS}}}{method}Result")
    if result is None or _is_nil(result):
        # §7: a missing/nil result is what crashes QBWC with a NullReferenceException.
        raise QbwcCallError(
            method,
            "missing_result",
            f"no {method}Result (Object reference not set to an instance of an object)",
            http_status=http_status,
        )
    return result


def _identity(result: etree._Element) -> etree._Element:
    return result


def result_text(result: etree._Element) -> str:
    return result.text or ""


def result_int(method: str, result: etree._Element) -> int:
    text = (result.text or "").strip()
    try:
        return int(text)
    except ValueError as exc:
        raise QbwcCallError(method, "bad_value", f"{method}Result {text!r} is not an int") from exc


def result_strings(result: etree._Element) -> list[str]:
    """ArrayOfString: ``<string>`` children; a nil item reads as "" (as .NET gives null)."""
    return [(child.text or "") for child in result if _local(child.tag) == "string"]


class SoapClient:
    """Posts QBWC-shaped SOAP 1.1 requests to one URL and parses the answers.

    Every failure is raised as :class:`QbwcCallError` (carrying the QBWC error code for the
    method) and also recorded in :attr:`stats`. ``fault_hook(method)`` may return ``"before"``
    (drop the connection before sending) or ``"after"`` (the server handles the call, the client
    throws the answer away) to inject transport faults.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 300.0,
        user_agent: str = DEFAULT_USER_AGENT,
        ssl_context: ssl.SSLContext | None = None,
        transport: Transport | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url
        self.timeout = timeout
        self.user_agent = user_agent
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._ssl_context = ssl_context
        # Tests of thousands of sessions may swap HTTP for an in-process call (wsgi_transport).
        self._transport: Transport = transport if transport is not None else self._post
        self.stats = SoapStats()
        self.fault_hook: FaultHook | None = None

    # -- typed operations (§3 table: parameter names and order) -------------------------------

    def server_version(self) -> str:
        return result_text(self.call("serverVersion", []))

    def client_version(self, version: str) -> str:
        return result_text(self.call("clientVersion", [("strVersion", version)]))

    def authenticate(self, username: str, password: str) -> list[str]:
        params: list[tuple[str, ParamValue]] = [
            ("strUserName", username),
            ("strPassword", password),
        ]
        return self._invoke("authenticate", params, result_strings)

    def send_request_xml(
        self,
        ticket: str,
        hcp_response: str,
        company_file: str,
        country: str,
        major: int,
        minor: int,
    ) -> str:
        params: list[tuple[str, ParamValue]] = [
            ("ticket", ticket),
            ("strHCPResponse", hcp_response),
            ("strCompanyFileName", company_file),
            ("qbXMLCountry", country),
            ("qbXMLMajorVers", major),
            ("qbXMLMinorVers", minor),
        ]
        return result_text(self.call("sendRequestXML", params))

    def receive_response_xml(self, ticket: str, response: str, hresult: str, message: str) -> int:
        params: list[tuple[str, ParamValue]] = [
            ("ticket", ticket),
            ("response", response),
            ("hresult", hresult),
            ("message", message),
        ]
        return self._invoke(
            "receiveResponseXML", params, lambda r: result_int("receiveResponseXML", r)
        )

    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        params: list[tuple[str, ParamValue]] = [
            ("ticket", ticket),
            ("hresult", hresult),
            ("message", message),
        ]
        return result_text(self.call("connectionError", params))

    def get_last_error(self, ticket: str) -> str:
        return result_text(self.call("getLastError", [("ticket", ticket)]))

    def close_connection(self, ticket: str) -> str:
        return result_text(self.call("closeConnection", [("ticket", ticket)]))

    def get_interactive_url(self, ticket: str, session_id: str) -> str:
        params: list[tuple[str, ParamValue]] = [("wcTicket", ticket), ("sessionID", session_id)]
        return result_text(self.call("getInteractiveURL", params))

    def interactive_done(self, ticket: str) -> str:
        return result_text(self.call("interactiveDone", [("wcTicket", ticket)]))

    def interactive_rejected(self, ticket: str, reason: str) -> str:
        params: list[tuple[str, ParamValue]] = [("wcTicket", ticket), ("reason", reason)]
        return result_text(self.call("interactiveRejected", params))

    # -- generic call --------------------------------------------------------------------------

    def call(self, method: str, params: Sequence[tuple[str, ParamValue]]) -> etree._Element:
        """Post one operation; return its ``<methodResult>`` element."""
        return self._invoke(method, params, _identity)

    def _invoke(
        self,
        method: str,
        params: Sequence[tuple[str, ParamValue]],
        convert: Callable[[etree._Element], T],
    ) -> T:
        record = CallRecord(method=method)
        self.stats.calls.append(record)
        try:
            return convert(self._call(method, params, record))
        except QbwcCallError as exc:
            record.error = exc.shown
            self.stats.errors.append(exc.shown)
            raise

    def _call(
        self, method: str, params: Sequence[tuple[str, ParamValue]], record: CallRecord
    ) -> etree._Element:
        drop = self.fault_hook(method) if self.fault_hook is not None else None
        if drop == "before":
            record.dropped = "before"
            raise QbwcCallError(
                method,
                "dropped_before",
                "The underlying connection was closed: the connection was closed unexpectedly "
                "(injected before sending)",
            )
        body = build_envelope(method, params)
        headers = {
            "User-Agent": self.user_agent,
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{TNS}{method}"',
            "Content-Length": str(len(body)),
        }
        started = time.perf_counter()
        try:
            status, content_type, payload = self._transport(self._path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            record.seconds = time.perf_counter() - started
            self.stats.wait_seconds += record.seconds
            raise QbwcCallError(method, "transport", f"{type(exc).__name__}: {exc}") from exc
        record.seconds = time.perf_counter() - started
        record.http_status = status
        record.bytes_out = len(body)
        record.bytes_in = len(payload)
        self.stats.round_trips += 1
        self.stats.bytes_sent += len(body)
        self.stats.bytes_received += len(payload)
        self.stats.wait_seconds += record.seconds
        if drop == "after":
            # The server saw and committed the call; the client never reads the answer.
            record.dropped = "after"
            raise QbwcCallError(
                method,
                "dropped_after",
                "The underlying connection was closed: the connection was closed unexpectedly "
                "(injected after the server answered)",
                http_status=status,
            )
        return self._interpret(method, status, content_type, payload)

    def _interpret(
        self, method: str, status: int, content_type: str, payload: bytes
    ) -> etree._Element:
        if status == 200 and not content_type.lower().startswith("text/xml"):
            # The .NET client refuses anything but text/xml for SOAP 1.1 (QBWC1012 in the wild).
            raise QbwcCallError(
                method,
                "content_type",
                f"Client found response content type of '{content_type}', but expected 'text/xml'.",
                http_status=status,
            )
        if status != 200:
            # A SOAP fault arrives with HTTP 500; anything else is a plain HTTP failure.
            try:
                parse_result_element(method, payload, http_status=status)
            except QbwcCallError as exc:
                if exc.kind == "fault":
                    raise
            raise QbwcCallError(
                method,
                "http_status",
                f"The request failed with HTTP status {status}",
                http_status=status,
            )
        return parse_result_element(method, payload, http_status=status)

    def _post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        # One connection per call: deterministic under fault injection and never retries a POST
        # on a stale keep-alive socket (a blind retry could duplicate a write-back).
        conn: http.client.HTTPConnection
        if self._scheme == "https":
            conn = http.client.HTTPSConnection(
                self._host, self._port, timeout=self.timeout, context=self._ssl_context
            )
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            return response.status, response.getheader("Content-Type", ""), payload
        finally:
            conn.close()
