"""The quick path of soap/envelope.py: a small body whose bytes need neither the DOCTYPE gate nor
the streaming builder is parsed once. It must accept, refuse and say exactly what the long way
does: hostile small bodies (the fuzzers' snippets spliced into every idle-poll call) are read
both ways and compared, tree for tree and refusal for refusal."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree

from qbwc_server.soap import envelope as envelope_module
from qbwc_server.soap.envelope import (
    MAX_DEPTH,
    QUICK_MAX_BYTES,
    EnvelopeRefused,
    ReadLimits,
    read_envelope,
)
from tests.fuzz.budget import count, fuzz_settings
from tests.fuzz.hostile_xml import DTDS, Edit, edited
from tests.soap_util import SOAP_NS, envelope

LIMITS = ReadLimits(max_body_bytes=1 << 20)
TICKET = "t" * 54
# Every call of an empty session, and a sync's small calls.
CALLS = [
    envelope("serverVersion"),
    envelope("clientVersion", [("strVersion", "2.3.0.215")]),
    envelope("authenticate", [("strUserName", "acme"), ("strPassword", "K3y-&<>\"'")]),
    envelope("closeConnection", [("ticket", TICKET)]),
    envelope("getLastError", [("ticket", TICKET)]),
    envelope("connectionError", [("ticket", TICKET), ("hresult", "0x80040408"), ("message", "x")]),
]


class Counted:
    """Counts the gate parsers made (the long way makes one per body)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.made = 0
        inner = envelope_module._gate_parser

        def counting(gate: Any) -> Any:
            self.made += 1
            return inner(gate)

        monkeypatch.setattr(envelope_module, "_gate_parser", counting)


def outcome(body: bytes, quick: bool, declared: int | None = -1) -> tuple[str, ...]:
    """What reading ``body`` gives: the tree serialized, or the refusal's every field."""
    length = len(body) if declared == -1 else declared
    saved = envelope_module.QUICK_MAX_BYTES
    envelope_module.QUICK_MAX_BYTES = saved if quick else 0
    try:
        root = read_envelope(io.BytesIO(body), length, LIMITS)
    except EnvelopeRefused as refused:
        return ("refused", refused.status, refused.code, refused.message, refused.reason)
    finally:
        envelope_module.QUICK_MAX_BYTES = saved
    return ("tree", etree.tostring(root, encoding="unicode"))


@pytest.mark.parametrize("body", CALLS, ids=lambda b: b[140:175].decode())
def test_an_idle_poll_call_takes_the_quick_path(
    body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    gates = Counted(monkeypatch)
    assert outcome(body, quick=True) == outcome(body, quick=False)
    assert gates.made == 1  # only the long way's reading made a gate


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("doctype", CALLS[1].replace(b"<soap:Envelope", DTDS[0].encode() + b"<soap:Envelope", 1)),
        ("comment", CALLS[1].replace(b"<soap:Body>", b"<soap:Body><!-- c -->")),
        ("cdata", CALLS[2].replace(b">acme<", b"><![CDATA[acme]]><")),
        ("pi", CALLS[1].replace(b"<soap:Body>", b"<soap:Body><?pi x?>")),
        ("utf-16", CALLS[1].decode().replace("utf-8", "utf-16").encode("utf-16")),
        ("latin-1", CALLS[1].replace(b"utf-8", b"iso-8859-1")),
        ("utf-7", CALLS[1].replace(b"utf-8", b"utf-7")),
        ("bom", b"\xef\xbb\xbf" + CALLS[1]),
        ("blank first", b"  " + CALLS[1]),
        ("deep", CALLS[1].replace(b"2.3.0.215", b"<a>" * MAX_DEPTH + b"</a>" * MAX_DEPTH)),
        ("attributes", CALLS[1].replace(b"<soap:Body>", b"<soap:Body " + b'a="1" ' * 40 + b">")),
        ("too long", CALLS[2].replace(b"acme", b"a" * QUICK_MAX_BYTES)),
    ],
)
def test_what_the_bytes_cannot_vouch_for_goes_the_long_way(
    name: str, body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    gates = Counted(monkeypatch)
    assert outcome(body, quick=True) == outcome(body, quick=False)
    assert gates.made == 2, name  # both readings went through the gate


def test_a_doctype_in_a_small_body_is_still_refused_as_one() -> None:
    body = CALLS[0].replace(b"<soap:Envelope", DTDS[4].encode() + b"<soap:Envelope", 1)
    found = outcome(body, quick=True)
    assert found[0] == "refused" and found[-1] == "doctype"


def test_a_short_body_is_read_the_long_way_from_the_same_bytes() -> None:
    body = CALLS[1]
    found = outcome(body, quick=True, declared=len(body) + 10)
    assert found == outcome(body, quick=False, declared=len(body) + 10)
    assert found[-1] == "short-body"


@fuzz_settings()
@given(call=st.sampled_from(CALLS), data=st.data())
@example(call=CALLS[1], data=Edit("2.3.0.215", "&amp;"))
@example(call=CALLS[1], data=Edit("2.3.0.215", "&a;"))
@example(call=CALLS[1], data=Edit("2.3.0.215", "\x01"))
@example(call=CALLS[1], data=Edit("<soap:Body>", '<soap:Body xmlns="urn:evil">'))
@example(call=CALLS[1], data=Edit("soap:Body>", "soap:Body><b/>", 1))
@example(call=CALLS[0], data=Edit("soap:Envelope", "Envelope"))
@example(call=CALLS[0], data=Edit(SOAP_NS, "http://www.w3.org/2003/05/soap-envelope"))
@example(call=CALLS[3], data=Edit("</soap:Envelope>", ""))
def test_hostile_small_bodies_read_the_same_both_ways(call: bytes, data: Any) -> None:
    count("soap-quick")
    document = edited(call.decode(), data)
    body = document.encode("utf-8", "surrogatepass")
    assert outcome(body, quick=True) == outcome(body, quick=False)
