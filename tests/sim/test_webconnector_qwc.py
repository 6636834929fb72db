"""read_qwc on Intuit's sample .qwc files and on broken ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from qbwc_server.sim.qwc import QwcError, parse_qwc, read_qwc


def test_intuit_https_sample(reference_dir: Path) -> None:
    info = read_qwc(reference_dir / "qwc" / "intuit-WCWebService-HTTPSWebService.qwc")
    assert info.app_name == "HTTPSWebService"
    assert info.app_id == ""
    assert info.app_url == "https://MTVL04A200337.corp.intuit.net/WCWebService/WCWebService.asmx"
    assert info.app_support.endswith("WCWebService.asmx?wsdl")
    assert info.username == "username"
    assert info.owner_id == "{57F3B9B1-86F1-4fcc-B1EE-566DE1813D20}"
    assert info.file_id == "{90A44FB5-33D9-4815-AC85-BC87A7E7D1EB}"
    assert info.qb_type == "QBFS"
    assert info.style == "Document"
    assert info.auth_flags == "0xF"
    assert info.run_every_seconds is None
    assert info.is_read_only is None


def test_intuit_http_sample_elements_in_another_order(reference_dir: Path) -> None:
    info = read_qwc(reference_dir / "qwc" / "intuit-WCWebService-HTTPWebService.qwc")
    assert info.app_url == "http://localhost/WCWebService/WCWebService.asmx"
    assert info.owner_id == "{87EDAAF8-637E-4203-867F-4BA79C2F8998}"
    assert info.username == "username"


def test_intuit_sample_with_cert_url(reference_dir: Path) -> None:
    info = read_qwc(reference_dir / "qwc" / "intuit-WCECommSample-TestService.qwc")
    assert info.app_id == "IDNWS2"
    assert info.cert_url == "http://localhost/WCECommSample/service/WCECommService.asmx"
    assert info.username == "add your merchant name here"


BASE = """<?xml version="1.0"?>
<QBWCXML>
  <AppName>AP Sync</AppName><AppID></AppID>
  <AppURL>https://sync.example.test/qbwc?x=1&amp;y=2</AppURL>
  <AppDescription>d</AppDescription><AppSupport>https://sync.example.test/support</AppSupport>
  <UserName>cust-1</UserName><OwnerID>{O}</OwnerID><FileID>{F}</FileID><QBType>QBFS</QBType>
  {extra}
</QBWCXML>"""


def qwc(extra: str = "") -> bytes:
    return BASE.replace("{extra}", extra).encode()


def test_scheduler_minutes_and_options() -> None:
    info = parse_qwc(
        qwc(
            "<IsReadOnly>true</IsReadOnly><UnattendedModePref>umpOptional</UnattendedModePref>"
            "<Scheduler><RunEveryNMinutes>15</RunEveryNMinutes></Scheduler><Notify>yes</Notify>"
            "<Custom>kept</Custom>"
        )
    )
    assert info.app_url == "https://sync.example.test/qbwc?x=1&y=2"
    assert info.run_every_seconds == info.interval_seconds == 900
    assert info.scheduler_element == "RunEveryNMinutes"
    assert info.is_read_only is True
    assert info.unattended_mode_pref == "umpOptional"
    assert info.notify is False
    assert info.extra == {"Custom": "kept"}


def test_scheduler_first_element_wins() -> None:
    seconds_first = parse_qwc(
        qwc(
            "<Scheduler><RunEveryNSeconds>45</RunEveryNSeconds>"
            "<RunEveryNMinutes>5</RunEveryNMinutes></Scheduler>"
        )
    )
    assert seconds_first.run_every_seconds == 45
    minutes_first = parse_qwc(
        qwc(
            "<Scheduler><RunEveryNMinutes>5</RunEveryNMinutes>"
            "<RunEveryNSeconds>45</RunEveryNSeconds></Scheduler>"
        )
    )
    assert minutes_first.run_every_seconds == 300


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<QBWCXML><AppName>x</AppName>", "not a well-formed XML"),
        (b"<QBXML/>", "expected <QBWCXML>"),
        (qwc().replace(b"<QBType>QBFS</QBType>", b""), "missing required element(s): QBType"),
        (qwc().replace(b"<UserName>cust-1</UserName>", b"<UserName/>"), "empty: UserName"),
        (qwc("<IsReadOnly>yes</IsReadOnly>"), "IsReadOnly"),
        (qwc("<Scheduler><RunEveryNMinutes>0</RunEveryNMinutes></Scheduler>"), "positive"),
        (qwc("<Scheduler><RunEveryNMinutes>soon</RunEveryNMinutes></Scheduler>"), "whole number"),
        (qwc("<AppName>again</AppName>"), "more than once"),
    ],
)
def test_malformed_qwc_gives_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(QwcError) as info:
        parse_qwc(data, source="bad.qwc")
    assert str(info.value).startswith("bad.qwc: ")
    assert message in str(info.value)


def test_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (
        qwc()
        .replace(
            b"<QBWCXML>",
            f'<!DOCTYPE QBWCXML [<!ENTITY e SYSTEM "{secret.as_uri()}">]><QBWCXML>'.encode(),
        )
        .replace(b"<AppDescription>d</AppDescription>", b"<AppDescription>&e;</AppDescription>")
    )
    data = data.replace(b'<?xml version="1.0"?>\n', b"")
    try:
        info = parse_qwc(data)
    except QwcError:
        return  # refusing the file is fine too
    assert "TOP-SECRET" not in info.app_description


def test_missing_file_is_a_qwc_error(tmp_path: Path) -> None:
    with pytest.raises(QwcError, match="cannot read"):
        read_qwc(tmp_path / "nope.qwc")
