"""The DOCTYPE gate of soap/envelope.py: for the two calls that carry pages it stops once the
call element has begun (a DOCTYPE cannot follow the root element); every other call passes
through it whole, and a DOCTYPE is refused wherever it stands."""

from __future__ import annotations

import io
from typing import Any

import pytest

from qbwc_server.soap import envelope as envelope_module
from qbwc_server.soap.envelope import BLOCK_SIZE, EnvelopeRefused, ReadLimits, read_envelope
from tests.soap_util import envelope

LIMITS = ReadLimits(max_body_bytes=8 << 20)
PAGE = "<QBXML>" + "<VendorRet><Name>x</Name></VendorRet>" * 20_000 + "</QBXML>"


def read(body: bytes) -> Any:
    return read_envelope(io.BytesIO(body), len(body), LIMITS, admit=lambda method, ticket: True)


def receive(response: str) -> bytes:
    return envelope("receiveResponseXML", [("ticket", "t"), ("response", response)])


class CountingGate:
    def __init__(self, inner: Any, fed: list[int]) -> None:
        self.inner = inner
        self.fed = fed

    def feed(self, block: bytes) -> None:
        self.fed.append(len(block))
        self.inner.feed(block)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def gate_feeds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    fed: list[int] = []
    inner = envelope_module._gate_parser
    monkeypatch.setattr(envelope_module, "_gate_parser", lambda g: CountingGate(inner(g), fed))
    return fed


def test_a_page_passes_the_gate_only_up_to_its_call(gate_feeds: list[int]) -> None:
    body = receive(PAGE)
    assert len(body) > 4 * BLOCK_SIZE
    root = read(body)
    assert root.findtext(".//{http://developer.intuit.com/}response") == PAGE
    assert gate_feeds == [BLOCK_SIZE]  # the first block, where the call began


def test_a_small_call_passes_the_gate_whole(gate_feeds: list[int]) -> None:
    body = envelope("authenticate", [("strUserName", "u" * 3 * BLOCK_SIZE), ("strPassword", "")])
    read(body)
    assert sum(gate_feeds) == len(body)


def test_a_doctype_after_the_call_is_refused() -> None:
    body = receive(PAGE).replace(b"</soap:Body>", b'<!DOCTYPE x [<!ENTITY a "b">]></soap:Body>')
    assert body.index(b"<!DOCTYPE") > 4 * BLOCK_SIZE  # long after the gate stopped
    with pytest.raises(EnvelopeRefused) as refused:
        read(body)
    assert refused.value.reason == "malformed"


def test_a_doctype_before_a_page_is_refused_by_the_gate() -> None:
    body = receive(PAGE).replace(
        b"<soap:Envelope", b'<!DOCTYPE x [<!ENTITY a "b">]><soap:Envelope', 1
    )
    with pytest.raises(EnvelopeRefused) as refused:
        read(body)
    assert refused.value.reason == "doctype"


def test_a_page_without_a_live_ticket_is_still_refused_past_the_small_size() -> None:
    body = receive(PAGE)
    with pytest.raises(EnvelopeRefused) as refused:
        read_envelope(io.BytesIO(body), len(body), LIMITS, admit=lambda method, ticket: False)
    assert refused.value.reason == "no-live-ticket"
