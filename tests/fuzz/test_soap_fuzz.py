"""Fuzzing the SOAP endpoint over the real WSGI app (the one ``qbwc-server serve`` runs, called
in-process): every Web Connector call with hostile parameter values (the company's real key
and live ticket among them), envelopes in the wrong namespace or SOAP 1.2, then truncated,
spliced with DTDs and entities in every spelling, huge attributes, deep nesting, control
characters and stray markup, mis-encoded (UTF-16 with and without BOM, Latin-1 under a UTF-8
declaration, invalid UTF-8 bytes), and plain binary.

Every answer is a SOAP 1.1 envelope: the call's result, or a fault (HTTP 500, SOAP 1.1's
convention, or a clean 4xx) — never an HTML page, a bare 5xx, silence or a hang; a refused
request writes nothing; the Connector Key and the ticket appear in no log line (at INFO, the
server's default level).
Cases found by fuzzing stay here as ``@example``s (the corpus).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from lxml import etree
from werkzeug.test import Client

from tests.conftest import ADMIN_TOKEN, make_settings
from tests.fuzz.budget import count, fuzz_settings
from tests.fuzz.hostile_xml import DTDS, mutated, snippet
from tests.fuzz.snapshot import digest
from tests.soap_util import SOAP_NS, TNS

SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
SECONDS = 10.0  # one call taking longer is a hang
STATUSES = {200, 400, 403, 405, 413, 500}


def _calls() -> dict[str, list[str]]:
    """Every call the SOAP service offers, with its parameter names in order (spyne's own)."""
    from qbwc_server.soap.service import build_service

    service = build_service(None, None)  # type: ignore[arg-type]  # only its signatures are read
    return {
        name: list(method.in_message._type_info) for name, method in service.public_methods.items()
    }


CALLS = _calls()
_SAFE = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


class LogLines(logging.Handler):
    """Every log record of the app while a case runs, formatted (message and traceback), at the
    server's default level (INFO)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter().format(record))


@pytest.fixture
def world(migrated_db: Any, database_url: str, db: Any) -> Iterator[dict[str, Any]]:
    """The app on an emptied database, a company, and a live ticket of its Web Connector."""
    from qbwc_server.app import create_app

    app = create_app(make_settings(database_url, 8000), db)
    client = Client(app)
    created = client.post(
        "/api/companies",
        json={"name": "Fuzz Co", "confirm_binding": False},  # its sessions sync at once
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert created.status_code == 201, created.get_data()
    company = created.get_json()
    user, key = company["username"], company["connector_key"]
    answer = soap(client, wrap("authenticate", [user, key]).encode(), "text/xml")
    ticket = etree.fromstring(answer[2]).findtext(f".//{{{TNS}}}string")
    assert ticket and len(ticket) > 20, answer
    lines = LogLines()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(lines)
    root.setLevel(logging.INFO)
    yield {
        "client": client,
        "db": db,
        "user": user,
        "key": key,
        "ticket": ticket,
        "log": lines,
        "digest": digest(db),  # the database after the last case
    }
    root.removeHandler(lines)
    root.setLevel(old_level)


def soap(client: Client, body: bytes, content_type: str | None) -> tuple[int, str, bytes]:
    headers = {"SOAPAction": f'"{TNS}x"'}
    if content_type is not None:
        headers["Content-Type"] = content_type
    started = time.monotonic()
    response = client.post("/qbwc", data=body, headers=headers)
    assert time.monotonic() - started < SECONDS, "hang"
    return response.status_code, response.headers.get("Content-Type", ""), response.get_data()


def wrap(
    call: str,
    values: list[str],
    *,
    envelope_ns: str = SOAP_NS,
    call_ns: str | None = TNS,
    raw: bool = False,
) -> str:
    names = CALLS[call]
    inner = "".join(
        f"<{n}>{v if raw else escape(v)}</{n}>" for n, v in zip(names, values, strict=False)
    )
    xmlns = f' xmlns="{call_ns}"' if call_ns is not None else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{envelope_ns}">'
        f"<soap:Body><{call}{xmlns}>{inner}</{call}></soap:Body></soap:Envelope>"
    )


# --- strategies ----------------------------------------------------------------------------------

ENCODINGS = ["utf-8"] * 14 + ["utf-16", "utf-16-le", "utf-16-be", "latin-1", "utf-32", "cp1252"]
CONTENT_TYPES = [
    "text/xml; charset=utf-8",
    "text/xml",
    "text/xml; charset=utf-16",
    "application/soap+xml; charset=utf-8",
    "text/plain",
    "multipart/related; boundary=x",
    None,
]


@st.composite
def values(draw: st.DrawFn, world: dict[str, Any], n: int) -> list[str]:
    pick = st.one_of(
        st.sampled_from([world["ticket"], world["user"], world["key"], "", "13", "-1", "US"]),
        st.text(max_size=60),
        snippet(),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
    )
    return [draw(pick) for _ in range(draw(st.integers(0, n + 1)))]


@st.composite
def bodies(draw: st.DrawFn, world: dict[str, Any]) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=3000))
    call = draw(st.sampled_from(sorted(CALLS)))
    text = wrap(
        call,
        draw(values(world, len(CALLS[call]))),
        envelope_ns=draw(st.sampled_from([SOAP_NS] * 12 + [SOAP12_NS, "urn:x", ""])),
        call_ns=draw(st.sampled_from([TNS] * 12 + ["urn:x", "", None])),
        raw=draw(st.integers(0, 3)) == 0,  # values written unescaped
    )
    text = draw(mutated(text))
    encoding = draw(st.sampled_from(ENCODINGS))
    if encoding != "utf-8" and draw(st.booleans()):
        text = text.replace('encoding="utf-8"', f'encoding="{encoding}"', 1)
    data = text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")
    if draw(st.integers(0, 4)) == 0:  # bytes no encoding produces
        at = draw(st.integers(0, len(data)))
        data = (
            data[:at]
            + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]))
            + data[at:]
        )
    return data


def check_answer(status: int, content_type: str, data: bytes, what: Any) -> bool:
    """A SOAP 1.1 envelope with the call's result or a fault; returns whether it is a fault."""
    assert status in STATUSES, (status, data[:300], what)
    assert content_type.startswith("text/xml"), (status, content_type, data[:300], what)
    assert b"<html" not in data[:500].lower(), (status, data[:300], what)
    root = etree.fromstring(data, _SAFE)
    assert root.tag == f"{{{SOAP_NS}}}Envelope", (data[:300], what)
    fault = root.find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault")
    if status != 200:
        assert fault is not None, (status, data[:300], what)
    if fault is not None:
        assert status != 200, (data[:300], what)
        assert (fault.findtext("faultcode") or "").strip(), data[:300]
        assert (fault.findtext("faultstring") or "").strip(), data[:300]
    return fault is not None


def check_logs(world: dict[str, Any], what: Any) -> None:
    lines = world["log"].lines
    for line in lines:
        assert world["key"] not in line, (line[:300], what)
        assert world["ticket"] not in line, (line[:300], what)
    lines.clear()


# --- the fuzz test -------------------------------------------------------------------------------


@fuzz_settings()
@given(data=st.data(), content_type=st.sampled_from(CONTENT_TYPES))
@example(data=b"", content_type="text/xml")  # issue 9: no answer at all
@example(data=b"\xff\xfe\x00", content_type="text/xml")
@example(
    data=f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body/></soap:Envelope>'.encode(),
    content_type="text/xml",
)
@example(
    data=(
        "<?xml version='1.0' encoding='utf-16'?>"
        + DTDS[0]
        + wrap("serverVersion", []).split("?>", 1)[1]
    ).encode("utf-16"),
    content_type="text/xml",
)
@example(
    data=wrap("serverVersion", [], envelope_ns=SOAP12_NS).encode(),
    content_type="application/soap+xml",
)
@example(data=wrap("authenticate", ["a\x01"], raw=True).encode(), content_type="text/xml")
@example(
    data=wrap("serverVersion", ['<a b="' + "x" * 70_000 + '"/>'], raw=True).encode(),
    content_type=None,
)
@example(data=wrap("serverVersion", ["<a>" * 3000], raw=True).encode(), content_type="text/xml")
def test_fuzz_soap_envelopes(world: dict[str, Any], data: Any, content_type: str | None) -> None:
    body = data if isinstance(data, bytes) else data.draw(bodies(world), label="body")
    count("soap")
    world["log"].lines.clear()
    status, ctype, answer = soap(world["client"], body, content_type)
    event(f"HTTP {status}")  # pytest --hypothesis-show-statistics: what the cases reached
    after = digest(world["db"])
    if check_answer(status, ctype, answer, body[:200]):  # refused: nothing written since
        assert after == world["digest"], (status, answer[:300], body[:200])
    world["digest"] = after
    check_logs(world, body[:200])
