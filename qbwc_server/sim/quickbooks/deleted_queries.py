"""ListDeletedQuery / TxnDeletedQuery: the deletion log QuickBooks keeps for 90 days (§6.5)."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree

from . import status as st
from .answers import Outcome
from .company_data import CompanyData
from .qbclock import wall_key
from .queries import QueryArgs
from .store import Record
from .xmlout import aggregate_xml, status_attrs


def deleted_records(
    company: CompanyData,
    rq: etree._Element,
    rs_name: str,
    request_id: str | None,
    is_txn: bool,
    major: int,
    args: QueryArgs,
) -> Outcome:
    """ListDeletedQuery / TxnDeletedQuery: only the last 90 days are known (§6.5)."""
    clock = company.clock
    types = {
        (e.text or "").strip() for e in rq.iterchildren("TxnDelType" if is_txn else "ListDelType")
    }
    horizon = clock.now - timedelta(days=90)
    flt = rq.find("DeletedDateRangeFilter")
    lo = hi = None
    if flt is not None:
        from_text = flt.findtext("FromDeletedDate")
        to_text = flt.findtext("ToDeletedDate")
        lo = wall_key(clock.to_wall(from_text)) if from_text else None
        hi = wall_key(clock.to_wall(to_text)) if to_text else None
        if to_text and len(to_text.strip()) == 10 and hi is not None:
            hi += 86399
    rets: list[str] = []
    for entry in company.deleted:
        if entry.is_txn != is_txn or entry.del_type not in types or entry.deleted_at < horizon:
            continue
        key = wall_key(entry.deleted_at)
        if (lo is not None and key < lo) or (hi is not None and key > hi):
            continue
        record: Record
        if is_txn:
            record = {
                "TxnDelType": entry.del_type,
                "TxnID": entry.object_id,
                "TimeCreated": entry.time_created,
                "TimeDeleted": clock.stamp(entry.deleted_at),
            }
            if entry.name:
                record["RefNumber"] = entry.name
        else:
            record = {
                "ListDelType": entry.del_type,
                "ListID": entry.object_id,
                "TimeCreated": entry.time_created,
                "TimeDeleted": clock.stamp(entry.deleted_at),
                "FullName": entry.name,
            }
        rets.append(
            aggregate_xml(
                "TxnDeletedRet" if is_txn else "ListDeletedRet", record, major, args.include_ret
            )
        )
    status = st.ok() if rets else st.no_match()
    attrs = status_attrs(request_id, status.code, status.severity, status.message)
    if args.meta_data == "MetaDataOnly":
        return Outcome(f'<{rs_name}{attrs} retCount="{len(rets)}" />\n', status)
    xml = f"<{rs_name}{attrs}>\n" + "".join(rets) + f"</{rs_name}>\n"
    return Outcome(
        xml, status, records=len(rets), object_type="TxnDeleted" if is_txn else "ListDeleted"
    )
