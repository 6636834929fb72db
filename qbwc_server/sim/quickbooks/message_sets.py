"""Error recovery of message sets: what QuickBooks remembers of a ``newMessageSetID`` (§6.2)."""

from __future__ import annotations

from lxml import etree

from . import status as st
from .answers import status_only
from .company_data import CompanyData
from .xmlout import aggregate_xml, escape_attr, response_document, status_attrs


def recovery_response(
    company: CompanyData, requests: list[etree._Element], old_id: str, new_id: str | None
) -> str:
    """Error recovery (§6.2; Intuit samples ErrRecovery1-3): ``oldMessageSetID`` asks what
    became of a remembered message set. We return each remembered request's status (plus an
    ErrorRecovery block with the IDs of what it created) and messageSetStatusCode 0, or 600
    ("no state") when nothing is remembered under that ID. Without ``newMessageSetID`` the
    state is cleared afterwards (ErrRecovery3); ``ClearAllMessageSets`` clears everything.
    Requests sent in the same message set are not processed (status 3231) — a guess."""
    parts: list[str] = []
    code = 0
    if old_id == "ClearAllMessageSets":
        company.message_sets.clear()
    else:
        remembered = company.message_sets.get(old_id)
        if remembered is None:
            code = st.MESSAGE_SET_NO_STATE
        else:
            for item in remembered:
                attrs = status_attrs(
                    item.request_id, item.status.code, item.status.severity, item.status.message
                )
                body = ""
                if item.recovery:
                    body = aggregate_xml("ErrorRecovery", item.recovery, 16)
                parts.append(f"<{item.rs_name}{attrs}>\n{body}</{item.rs_name}>\n")
            if not new_id:
                del company.message_sets[old_id]
    for rq in requests:
        parts.append(status_only(rq.tag[:-2] + "Rs", rq.get("requestID"), st.not_processed()))
    attrs = f' messageSetStatusCode="{code}"'
    if new_id:
        attrs = f' newMessageSetID="{escape_attr(new_id)}"' + attrs
    return response_document(parts, attrs)
