"""A digest of everything a generated company file holds (byte-identity checks of the generator).

Every table in creation order with each record fully built (lazy rows included) and its index
facts, the deletion log, the counters, company info and data extensions, serialized as JSON with
sorted keys: two companies with the same digest hold the same data, in the same order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from qbwc_server.sim.quickbooks import CompanyFile


def company_digest(company: CompanyFile) -> str:
    digest = hashlib.sha256()

    def feed(value: Any) -> None:
        digest.update(json.dumps(value, sort_keys=True, default=str).encode())
        digest.update(b"\n")

    for object_type in sorted(company.tables):
        table = company.tables[object_type]
        feed(["table", object_type, len(table)])
        for object_id in table.ids():
            meta = table.meta[object_id]
            feed([object_id, table.get(object_id), list(asdict(meta).items())])
        feed(["indexes", table.by_modified, table.by_txn_date, sorted(table.by_name.items())])
    feed(["deleted", [asdict(d) for d in company.deleted]])
    feed(["counters", asdict(company.counters)])
    feed(["info", company.info, company.data_ext, sorted(company.owner_of.items())])
    feed(["clock", company.clock.now.isoformat()])
    return digest.hexdigest()
