"""Company A's connector on company B's file: told plainly that it is the wrong file, never B's
name — neither to the Web Connector nor on A's profile (issue 9: the refusal named B)."""

from __future__ import annotations

import json
from typing import Any

from tests.foundation.helpers import QbwcSessionDriver, api, create_company, qwc_fields, run_to_end
from tests.soap_util import make_hcp

PATH = r"C:\QB\Company2.QBW"


def test_the_refusal_never_names_the_other_company(live_server: Any) -> None:
    acme = create_company(live_server.url, "Acme Supplies")
    other = create_company(live_server.url, "Globex Holdings")
    acme_qwc = qwc_fields(live_server.url, acme["id"])
    other_qwc = qwc_fields(live_server.url, other["id"])
    wc = QbwcSessionDriver(live_server.qbwc_url)
    wc.authenticate(acme["username"], acme["connector_key"])
    run_to_end(wc, make_hcp(owner_id=acme_qwc["OwnerID"], file_id=acme_qwc["FileID"]))
    wc.close()
    api(live_server.url, "PATCH", f"/api/companies/{acme['id']}", {"sync_interval_minutes": 0})

    wc = QbwcSessionDriver(live_server.qbwc_url)
    assert wc.authenticate(acme["username"], acme["connector_key"])[1] == ""
    globex_file = make_hcp(
        owner_id=other_qwc["OwnerID"], file_id=other_qwc["FileID"], company_name="Globex Holdings"
    )
    assert wc.send_request(globex_file, path=PATH) == ""
    told = [wc.last_error(), wc.close()]
    for text in told:
        assert text.startswith("Wrong company file open")
        assert "Globex" not in text
        assert "Acme Supplies" in text  # what this connector syncs: its own file
        assert "Open this company's file in QuickBooks" in text and "profile" in text

    _, view, _ = api(live_server.url, "GET", f"/api/companies/{acme['id']}")
    profile = json.dumps(view)
    assert "Globex" not in profile
    assert PATH.replace("\\", "\\\\") in profile  # the profile says more: which file was open
    assert "another company on this server" in view["status"]["last_error"]
    _, sessions, _ = api(live_server.url, "GET", f"/api/companies/{acme['id']}/sessions")
    assert "Globex" not in json.dumps(sessions)
