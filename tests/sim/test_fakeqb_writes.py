"""Writes (BillAdd, payments, VendorAdd/Mod) and SDK error recovery by message-set ID (§6.2)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from lxml import etree

from qbwc_server.sim.quickbooks import CompanyFile, FakeQuickBooks, FaultPlan, QBRequestError
from qbwc_server.sim.quickbooks.qbxml_text import parse_document, request_document, responses

from .fakeqb_support import ask, ask_one, child, open_fake, status, text


@pytest.fixture
def company() -> CompanyFile:
    return CompanyFile.generate(seed=21, profile="tiny")


def _vendor(company: CompanyFile) -> dict:  # type: ignore[type-arg]
    return next(v for v in company.records("Vendor") if v["IsActive"] and "&" not in v["Name"])


def _bill_add(vendor_id: str, amount: str, ref: str = "WB-1", request_id: str = "1") -> str:
    return (
        f'<BillAddRq requestID="{request_id}"><BillAdd><VendorRef><ListID>{vendor_id}</ListID>'
        "</VendorRef>"
        f"<TxnDate>2024-06-01</TxnDate><RefNumber>{ref}</RefNumber>"
        "<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef>"
        f"<Amount>{amount}</Amount><Memo>Toner &amp; paper</Memo></ExpenseLineAdd>"
        "<ItemLineAdd><ItemRef><FullName>Freight 1</FullName></ItemRef><Quantity>2</Quantity>"
        "<Cost>5.00</Cost></ItemLineAdd></BillAdd></BillAddRq>"
    )


def test_bill_add_updates_vendor_balance_and_is_queryable(
    company: CompanyFile, qbxml_schema: Callable[[str], etree.XMLSchema]
) -> None:
    fake = open_fake(company)
    vendor = _vendor(company)
    before = Decimal(vendor["Balance"])
    response = fake.process(request_document(_bill_add(vendor["ListID"], "120.50")))
    assert qbxml_schema("13.0").validate(parse_document(response))
    rs = responses(response)[0]
    assert status(rs) == 0
    bill = child(rs, "BillRet")
    txn_id = text(bill, "TxnID")
    assert bill.findtext("AmountDue") == "130.50" and bill.findtext("OpenAmount") == "130.50"
    assert bill.findtext("IsPaid") == "false"
    assert txn_id and "-" in txn_id and bill.findtext("EditSequence")
    after = next(v for v in company.records("Vendor") if v["ListID"] == vendor["ListID"])
    assert Decimal(after["Balance"]) == before + Decimal("130.50")
    rs = ask_one(
        fake,
        f'<BillQueryRq requestID="2"><TxnID>{txn_id}</TxnID>'
        "<IncludeLineItems>true</IncludeLineItems></BillQueryRq>",
    )
    assert text(rs, "BillRet/ExpenseLineRet/Memo") == "Toner & paper"
    assert text(rs, "BillRet/ItemLineRet/Amount") == "10.00"


def test_payment_marks_bill_paid_and_links_both_ways(company: CompanyFile) -> None:
    fake = open_fake(company)
    vendor = _vendor(company)
    txn_id = text(ask_one(fake, _bill_add(vendor["ListID"], "90.00")), "BillRet/TxnID")
    edit_before = company.records("Bill")[-1]["EditSequence"]
    company.clock.advance(__import__("datetime").timedelta(minutes=5))
    partial = ask_one(
        fake,
        '<BillPaymentCheckAddRq requestID="1"><BillPaymentCheckAdd>'
        f"<PayeeEntityRef><ListID>{vendor['ListID']}</ListID></PayeeEntityRef>"
        "<BankAccountRef><FullName>Checking</FullName></BankAccountRef><RefNumber>7001</RefNumber>"
        f"<AppliedToTxnAdd><TxnID>{txn_id}</TxnID><PaymentAmount>40.00</PaymentAmount>"
        "</AppliedToTxnAdd>"
        "</BillPaymentCheckAdd></BillPaymentCheckAddRq>",
    )
    assert status(partial) == 0
    assert partial.findtext("BillPaymentCheckRet/AppliedToTxnRet/BalanceRemaining") == "60.00"
    bill = company.get("Bill", txn_id)
    assert bill is not None and bill["OpenAmount"] == "60.00" and bill["IsPaid"] is False
    assert bill["EditSequence"] != edit_before
    too_much = ask_one(
        fake,
        '<BillPaymentCreditCardAddRq requestID="2"><BillPaymentCreditCardAdd>'
        f"<PayeeEntityRef><ListID>{vendor['ListID']}</ListID></PayeeEntityRef>"
        "<CreditCardAccountRef><FullName>Company Visa</FullName></CreditCardAccountRef>"
        f"<AppliedToTxnAdd><TxnID>{txn_id}</TxnID><PaymentAmount>61.00</PaymentAmount>"
        "</AppliedToTxnAdd>"
        "</BillPaymentCreditCardAdd></BillPaymentCreditCardAddRq>",
    )
    assert status(too_much) == 3210
    rest = ask_one(
        fake,
        '<BillPaymentCreditCardAddRq requestID="3"><BillPaymentCreditCardAdd>'
        f"<PayeeEntityRef><ListID>{vendor['ListID']}</ListID></PayeeEntityRef>"
        "<CreditCardAccountRef><FullName>Company Visa</FullName></CreditCardAccountRef>"
        f"<AppliedToTxnAdd><TxnID>{txn_id}</TxnID><PaymentAmount>60.00</PaymentAmount>"
        "</AppliedToTxnAdd>"
        "</BillPaymentCreditCardAdd></BillPaymentCreditCardAddRq>",
    )
    assert status(rest) == 0
    rs = ask_one(
        fake,
        f'<BillQueryRq requestID="4"><TxnID>{txn_id}</TxnID>'
        "<IncludeLinkedTxns>true</IncludeLinkedTxns></BillQueryRq>",
    )
    assert rs.findtext("BillRet/IsPaid") == "true" and rs.findtext("BillRet/OpenAmount") == "0.00"
    linked = [(el.findtext("TxnType"), el.findtext("Amount")) for el in rs.iter("LinkedTxn")]
    assert linked == [("BillPaymentCheck", "-40.00"), ("BillPaymentCreditCard", "-60.00")]
    after = next(v for v in company.records("Vendor") if v["ListID"] == vendor["ListID"])
    assert Decimal(after["Balance"]) == Decimal(vendor["Balance"])


def test_vendor_add_and_mod_with_edit_sequence(company: CompanyFile) -> None:
    fake = open_fake(company)
    added = ask_one(
        fake,
        '<VendorAddRq requestID="1"><VendorAdd><Name>Müller &amp; Söhne 株式会社</Name>'
        "<VendorAddress><Addr1>1 Rue</Addr1><City>Paris</City></VendorAddress></VendorAdd>"
        "</VendorAddRq>",
    )
    ret = child(added, "VendorRet")
    # Windows-1252: accents survive, CJK does not (our model of QuickBooks' storage).
    assert ret.findtext("Name") == "Müller & Söhne ????"
    list_id, edit = text(ret, "ListID"), text(ret, "EditSequence")
    company.clock.advance(__import__("datetime").timedelta(seconds=30))
    modded = ask_one(
        fake,
        f'<VendorModRq requestID="2"><VendorMod><ListID>{list_id}</ListID>'
        f"<EditSequence>{edit}</EditSequence>"
        "<Name>Mueller Renamed</Name></VendorMod></VendorModRq>",
    )
    assert status(modded) == 0
    assert modded.findtext("VendorRet/EditSequence") != edit
    again = ask_one(
        fake,
        f'<VendorModRq requestID="3"><VendorMod><ListID>{list_id}</ListID>'
        f"<EditSequence>{edit}</EditSequence>"
        "<Name>Stale</Name></VendorMod></VendorModRq>",
    )
    assert status(again) == 3200


def test_renamed_vendor_shows_new_name_in_old_bills(company: CompanyFile) -> None:
    bill = company.records("Bill")[0]
    vendor_id = bill["VendorRef"]["ListID"]
    company.edit("Vendor", vendor_id, {"Name": "Renamed Vendor LLC"})
    fake = open_fake(company)
    rs = ask_one(fake, f'<BillQueryRq requestID="1"><TxnID>{bill["TxnID"]}</TxnID></BillQueryRq>')
    assert rs.findtext("BillRet/VendorRef/FullName") == "Renamed Vendor LLC"


def _recovery(fake: FakeQuickBooks, old: str, new: str | None = None) -> etree._Element:
    attrs = f'oldMessageSetID="{old}"' + (f' newMessageSetID="{new}"' if new else "")
    response = fake.process(request_document("", msgs_attrs=attrs, on_error="continueOnError"))
    return child(parse_document(response), "QBXMLMsgsRs")


def test_error_recovery_after_a_lost_response(
    company: CompanyFile, qbxml_schema: Callable[[str], etree.XMLSchema]
) -> None:
    fake = open_fake(company, faults=FaultPlan(lost_responses={1}))
    vendor = _vendor(company)
    request = request_document(
        _bill_add(vendor["ListID"], "77.00", ref="LOST-1"), msgs_attrs='newMessageSetID="AB1F2395"'
    )
    with pytest.raises(QBRequestError):
        fake.process(request)  # processed, but the response never came back
    msgs = _recovery(fake, "AB1F2395", "AB1F2395")
    assert msgs.get("messageSetStatusCode") == "0"
    (rs,) = list(msgs)
    assert rs.tag == "BillAddRs" and status(rs) == 0
    txn_id = text(rs, "ErrorRecovery/TxnID")
    bill = company.get("Bill", txn_id)
    assert bill is not None and bill["RefNumber"] == "LOST-1"
    assert rs.findtext("ErrorRecovery/EditSequence") == bill["EditSequence"]
    assert qbxml_schema("13.0").validate(msgs.getroottree().getroot())
    # Without newMessageSetID the state is cleared afterwards; then nothing is remembered.
    assert _recovery(fake, "AB1F2395").get("messageSetStatusCode") == "0"
    assert _recovery(fake, "AB1F2395").get("messageSetStatusCode") == "600"


def test_normal_message_set_with_new_id_echoes_it(company: CompanyFile) -> None:
    fake = open_fake(company)
    text_doc = fake.process(
        request_document('<HostQueryRq requestID="1"/>', msgs_attrs='newMessageSetID="X1"')
    )
    msgs = child(parse_document(text_doc), "QBXMLMsgsRs")
    assert msgs.get("newMessageSetID") == "X1" and msgs.get("messageSetStatusCode") == "0"
    ask(fake, "", msgs_attrs='oldMessageSetID="ClearAllMessageSets"')
    assert _recovery(fake, "X1").get("messageSetStatusCode") == "600"


def test_cost_model_and_bookkeeping(company: CompanyFile) -> None:
    fake = open_fake(company)
    rs = ask_one(
        fake,
        '<BillQueryRq requestID="1"><MaxReturned>10</MaxReturned>'
        "<IncludeLineItems>true</IncludeLineItems></BillQueryRq>",
    )
    assert len(rs) == 10
    assert fake.requests_processed == 1 and fake.records_returned == {"Bill": 10}
    cost = fake.cost
    lines = sum(1 for _ in rs.iter("ExpenseLineRet", "ItemLineRet"))
    expected = cost.per_request + 10 * cost.per_record + lines * cost.per_line
    assert fake.simulated_seconds == pytest.approx(expected)


def test_payment_with_vendor_credit_and_python_api_adds_validate(
    company: CompanyFile, qbxml_schema: Callable[[str], etree.XMLSchema]
) -> None:
    fake = open_fake(company)
    vendor = _vendor(company)
    vendor_ref = {"ListID": vendor["ListID"]}
    start_balance = Decimal(vendor["Balance"])
    bill_id = text(ask_one(fake, _bill_add(vendor["ListID"], "190.00")), "BillRet/TxnID")
    line = [{"AccountRef": {"FullName": "Office Supplies"}, "Amount": "50.00"}]
    credit_id = company.add(
        "VendorCredit", {"VendorRef": vendor_ref, "RefNumber": "CM-X", "ExpenseLineRet": line}
    )
    paid = ask_one(
        fake,
        '<BillPaymentCheckAddRq requestID="1"><BillPaymentCheckAdd>'
        f"<PayeeEntityRef><ListID>{vendor['ListID']}</ListID></PayeeEntityRef>"
        "<BankAccountRef><FullName>Checking</FullName></BankAccountRef><IsToBePrinted>true"
        f"</IsToBePrinted><AppliedToTxnAdd><TxnID>{bill_id}</TxnID><PaymentAmount>150.00"
        f"</PaymentAmount><SetCredit><CreditTxnID>{credit_id}</CreditTxnID><AppliedAmount>50.00"
        "</AppliedAmount></SetCredit></AppliedToTxnAdd></BillPaymentCheckAdd></BillPaymentCheckAddRq>",
    )
    assert status(paid) == 0, paid.get("statusMessage")
    assert text(paid, "BillPaymentCheckRet/Amount") == "150.00"
    bill = company.get("Bill", bill_id)
    credit = company.get("VendorCredit", credit_id)
    assert bill is not None and bill["IsPaid"] is True
    assert credit is not None and credit["OpenAmount"] == "0.00"
    after = next(v for v in company.records("Vendor") if v["ListID"] == vendor["ListID"])
    assert Decimal(after["Balance"]) == start_balance  # +200 bill, -50 credit, -150 paid
    company.add(
        "Check",
        {
            "PayeeEntityRef": vendor_ref,
            "AccountRef": {"FullName": "Checking"},
            "ExpenseLineRet": line,
        },
    )
    company.add(
        "CreditCardCharge",
        {
            "PayeeEntityRef": vendor_ref,
            "AccountRef": {"FullName": "Company Visa"},
            "ExpenseLineRet": line,
        },
    )
    company.add(
        "PurchaseOrder",
        {
            "VendorRef": vendor_ref,
            "ItemLineRet": [
                {"ItemRef": {"FullName": "Freight 1"}, "Quantity": "3", "Cost": "2.50"}
            ],
        },
    )
    for version in ("13.0", "16.0"):
        body = "".join(
            f'<{t}QueryRq requestID="{t}"><MaxReturned>500</MaxReturned>'
            f"<IncludeLineItems>true</IncludeLineItems></{t}QueryRq>"
            for t in (
                "Bill",
                "BillPaymentCheck",
                "VendorCredit",
                "Check",
                "CreditCardCharge",
                "PurchaseOrder",
            )
        )
        document = parse_document(fake.process(request_document(body, version=version)))
        assert qbxml_schema(version).validate(document), str(qbxml_schema(version).error_log)
        assert {status(rs) for rs in child(document, "QBXMLMsgsRs")} == {0}
