"""A page of data past lxml's 10 MB text-node limit is taken (issue 9: a 14.7 MB page of 20,000
accounts with 400-character descriptions was refused with "Resource limit exceeded: Text node
too long", and the sync could never finish)."""

from __future__ import annotations

from typing import Any

from lxml import etree
from sqlalchemy import func, select

from models.records import QbAccount
from tests.foundation.helpers import QbwcSessionDriver, create_company, empty_answer, qwc_fields
from tests.soap_util import make_hcp

ACCOUNTS = 20_000


def account_page(request_xml: str, count: int) -> str:
    """Answer the AccountQueryRq of ``request_xml`` with ``count`` accounts, 400-char notes."""
    root = etree.fromstring(request_xml.split("?>", 2)[-1].encode())
    rq = root.find("QBXMLMsgsRq/AccountQueryRq")
    assert rq is not None
    rid = rq.get("requestID", "0")
    desc = ("Long description & <notes> for the ledger " * 12)[:400].replace("&", "&amp;")
    desc = desc.replace("<", "&lt;").replace(">", "&gt;")
    rets = "".join(
        f"<AccountRet><ListID>{80000000 + i:X}-1234567890</ListID>"
        "<TimeCreated>2024-01-02T03:04:05-08:00</TimeCreated>"
        "<TimeModified>2024-01-02T03:04:05-08:00</TimeModified>"
        f"<EditSequence>1704193445</EditSequence><Name>Account {i:05d}</Name>"
        f"<FullName>Account {i:05d}</FullName><IsActive>true</IsActive><Sublevel>0</Sublevel>"
        f"<AccountType>Expense</AccountType><Desc>{desc}</Desc>"
        "<Balance>0.00</Balance><TotalBalance>0.00</TotalBalance></AccountRet>"
        for i in range(count)
    )
    return (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
        f'<AccountQueryRs requestID="{rid}" statusCode="0" statusSeverity="Info" '
        f'statusMessage="Status OK" iteratorRemainingCount="0" iteratorID="{{x}}">'
        f"{rets}</AccountQueryRs></QBXMLMsgsRs></QBXML>"
    )


def test_a_page_past_10_mb_is_parsed_and_stored(live_server: Any, db: Any) -> None:
    company = create_company(live_server.url)
    qwc = qwc_fields(live_server.url, company["id"])
    wc = QbwcSessionDriver(live_server.qbwc_url)
    assert wc.authenticate(company["username"], company["connector_key"])[1] == ""
    hcp = make_hcp(owner_id=qwc["OwnerID"], file_id=qwc["FileID"])
    sizes: list[int] = []
    request = wc.send_request(hcp)
    for _ in range(200):
        if not request:
            break
        if "<AccountQueryRq" in request and not sizes:
            page = account_page(request, ACCOUNTS)
            sizes.append(len(page.encode()))
            progress = wc.receive(page)
        else:
            progress = wc.receive(empty_answer(request))
        assert progress >= 0, wc.last_error()
        if progress >= 100:
            break
        request = wc.send_request("")
    assert sizes and sizes[0] > 14 * 1024 * 1024, sizes  # as in the report: 14.7 MB
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(QbAccount)) == ACCOUNTS
        desc = s.scalar(select(QbAccount.description).where(QbAccount.name == "Account 00042"))
    assert desc is not None and len(desc) == 400 and "& <notes>" in desc
