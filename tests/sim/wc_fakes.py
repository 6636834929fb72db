"""Test doubles for the fake Web Connector tests: a scripted QBWC server and a stub QuickBooks.

The server is a real WSGI app served over HTTP on 127.0.0.1 (port 0) in a thread, so the
Web Connector's ``http.client`` code path is exercised end to end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from lxml import etree

TNS = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

Answer = str | int | list[str]
Handler = Callable[[dict[str, str]], Any]


@dataclass
class RawReply:
    """Send this instead of a normal SOAP response (faults, HTML errors, broken XML)."""

    body: bytes
    status: str = "200 OK"
    content_type: str = "text/xml; charset=utf-8"


@dataclass
class ReceivedCall:
    method: str
    params: dict[str, str]
    soap_action: str
    content_type: str
    body: bytes


def soap_response(method: str, answer: Answer, *, prefixed: bool = True) -> bytes:
    """A response shaped like spyne's (``tns:`` prefix) or .NET's (default namespace)."""
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    nsmap = {"tns": TNS} if prefixed else {None: TNS}
    resp = etree.SubElement(body, f"{{{TNS}}}{method}Response", nsmap=nsmap)  # type: ignore[arg-type]
    result = etree.SubElement(resp, f"{{{TNS}}}{method}Result")
    if isinstance(answer, list):
        for item in answer:
            etree.SubElement(result, f"{{{TNS}}}string").text = item
    else:
        result.text = str(answer)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


def soap_fault(text: str) -> RawReply:
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}">'
        "<soap:Body><soap:Fault><faultcode>soap:Server</faultcode>"
        f"<faultstring>{text}</faultstring></soap:Fault></soap:Body></soap:Envelope>"
    ).encode()
    return RawReply(body, status="500 Internal Server Error")


class ScriptedServer:
    """Answers each QBWC method from a handler; records every call it receives."""

    def __init__(self, handlers: dict[str, Handler] | None = None) -> None:
        self.handlers: dict[str, Handler] = {
            "serverVersion": lambda p: "fake-server 1.0",
            "clientVersion": lambda p: "",
            "authenticate": lambda p: ["tkt-1", "none"],
            "closeConnection": lambda p: "OK",
            "getLastError": lambda p: "",
            "connectionError": lambda p: "done",
        }
        if handlers:
            self.handlers.update(handlers)
        self.received: list[ReceivedCall] = []
        self.lock = threading.Lock()

    @property
    def methods(self) -> list[str]:
        return [c.method for c in self.received]

    def of(self, method: str) -> list[dict[str, str]]:
        return [c.params for c in self.received if c.method == method]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length)
        root = etree.fromstring(raw)
        op = root.find(f"{{{SOAP_ENV}}}Body")[0]  # type: ignore[index]
        method = etree.QName(op).localname
        params = {etree.QName(child).localname: child.text or "" for child in op}
        call = ReceivedCall(
            method,
            params,
            environ.get("HTTP_SOAPACTION", ""),
            environ.get("CONTENT_TYPE", ""),
            raw,
        )
        with self.lock:
            self.received.append(call)
        handler = self.handlers.get(method)
        answer: Any = handler(params) if handler else RawReply(b"unknown", "404 Not Found")
        if isinstance(answer, RawReply):
            body, status, ctype = answer.body, answer.status, answer.content_type
        else:
            body, status, ctype = soap_response(method, answer), "200 OK", "text/xml; charset=utf-8"
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [body]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(app: Callable[..., Any]) -> Iterator[str]:
    """Serve a WSGI app on 127.0.0.1:<free port>; yields the URL."""
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/qbwc"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- stub QuickBooks -------------------------------------------------------------------------------

HCP = (
    '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
    '<HostQueryRs requestID="0" statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
    "<HostRet><ProductName>QuickBooks Pro 2014</ProductName><MajorVersion>24</MajorVersion>"
    "<MinorVersion>0</MinorVersion><Country>US</Country>"
    "<SupportedQBXMLVersion>12.0</SupportedQBXMLVersion>"
    "<SupportedQBXMLVersion>13.0</SupportedQBXMLVersion>"
    "<SupportedQBXMLVersion>2.1</SupportedQBXMLVersion></HostRet></HostQueryRs>"
    '<CompanyQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
    "<CompanyRet><CompanyName>Stub Co</CompanyName></CompanyRet></CompanyQueryRs>"
    '<PreferencesQueryRs requestID="2" statusCode="0" statusSeverity="Info" '
    'statusMessage="Status OK"><PreferencesRet/></PreferencesQueryRs>'
    "</QBXMLMsgsRs></QBXML>"
)


class StubQBError(Exception):
    def __init__(self, hresult: str, message: str) -> None:
        super().__init__(f"{hresult}: {message}")
        self.hresult = hresult
        self.message = message


def vendor_response(count: int, request_id: str = "1") -> str:
    rets = "".join(
        f"<VendorRet><ListID>{i}-1</ListID><Name>V &amp; {i}</Name></VendorRet>"
        for i in range(count)
    )
    code = "0" if count else "1"
    return (
        '<?xml version="1.0" ?>\n<QBXML>\n<QBXMLMsgsRs>\n'
        f'<VendorQueryRs requestID="{request_id}" statusCode="{code}" statusSeverity="Info" '
        f'statusMessage="Status OK">{rets}</VendorQueryRs>\n</QBXMLMsgsRs>\n</QBXML>\n'
    )


@dataclass
class StubQuickBooks:
    """Same methods as FakeQuickBooks; scripted connection failures and request errors."""

    path: str = r"C:\Company Files\stub.QBW"
    open_failures: list[tuple[str, str]] = field(default_factory=list)
    request_errors: dict[int, tuple[str, str]] = field(default_factory=dict)  # nth request -> err
    cost_per_request: float = 0.0
    events: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    simulated_seconds: float = 0.0
    requests_processed: int = 0
    session_open: bool = False
    open_paths: list[str] = field(default_factory=list)

    def open_session(
        self, *, app_name: str, owner_id: str, file_id: str, company_path: str = ""
    ) -> None:
        self.open_paths.append(company_path)
        if self.open_failures:
            hresult, message = self.open_failures.pop(0)
            self.events.append(f"open-failed:{company_path}")
            raise StubQBError(hresult, message)
        self.session_open = True
        self.events.append(f"open:{company_path}")

    def hcp_response(self) -> str:
        assert self.session_open
        return HCP

    def process(self, request_xml: str) -> str:
        assert self.session_open, "process() outside a QuickBooks session"
        self.requests.append(request_xml)
        self.requests_processed += 1
        self.simulated_seconds += self.cost_per_request
        self.events.append("process")
        if self.requests_processed in self.request_errors:
            raise StubQBError(*self.request_errors[self.requests_processed])
        return vendor_response(self.requests_processed)

    def close_session(self) -> None:
        self.session_open = False
        self.events.append("close")
