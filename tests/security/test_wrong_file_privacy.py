"""Company A's connector on company B's file: told plainly that it is the wrong file, never B's
name — neither to the Web Connector nor on A's profile (issue 9: the refusal named B)."""

from __future__ import annotations

import json
from typing import Any

from qbwc_server.help import catalog
from tests.foundation.helpers import api, create_company, open_wrong_file

PATH = r"C:\QB\Company2.QBW"


def test_the_refusal_never_names_the_other_company(live_server: Any) -> None:
    acme = create_company(live_server.url, "Acme Supplies")
    other = create_company(live_server.url, "Globex Holdings")
    wc = open_wrong_file(live_server.url, live_server.qbwc_url, acme, other, PATH)
    told = [wc.last_error(), wc.close()]
    entry = catalog.lookup("wrong_company_file")
    assert entry is not None
    for text in told:
        # The help catalog's words (the profile shows the same entry), with what to open.
        assert text.startswith(entry.sentence) and text.endswith(entry.advice)
        assert "Globex" not in text
        assert "Acme Supplies" in text  # what this connector syncs: its own file

    _, view, _ = api(live_server.url, "GET", f"/api/companies/{acme['id']}")
    profile = json.dumps(view)
    assert "Globex" not in profile
    assert PATH.replace("\\", "\\\\") in profile  # the profile says more: which file was open
    assert "another company on this server" in view["status"]["last_error"]
    assert view["status"]["problem"]["code"] == "wrong_company_file"
    _, sessions, _ = api(live_server.url, "GET", f"/api/companies/{acme['id']}/sessions")
    assert "Globex" not in json.dumps(sessions)
