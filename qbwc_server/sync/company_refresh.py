"""The company-record refresh request (a CompanyQuery under our OwnerID)."""

from __future__ import annotations

from lxml import etree


def company_query(version: str, owner_id: str) -> str:
    root = etree.Element("QBXML")
    msgs = etree.SubElement(root, "QBXMLMsgsRq", onError="continueOnError")
    rq = etree.SubElement(msgs, "CompanyQueryRq", requestID="company")
    etree.SubElement(rq, "OwnerID").text = owner_id
    body = etree.tostring(root, encoding="us-ascii").decode("ascii")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n{body}'
