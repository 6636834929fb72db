"""The pages of one company show nothing of another."""

from __future__ import annotations

import re

from tests.isolation.conftest import SecretsWatch, World
from tests.security.http_util import fetch, sign_in


def test_a_company_page_shows_only_that_company(world: World, secrets_watch: SecretsWatch) -> None:
    browser = sign_in(world.server)
    secrets_watch.add(browser.session, browser.csrf)
    pages = {}
    for rig in (world.alpha, world.beta):
        reply = fetch(
            world.server, "GET", f"/companies/{rig.company_id}", headers=browser.headers()
        )
        assert reply.status == 200
        pages[rig.company_id] = reply.text
    ops = {world.alpha.company_id: world.alpha_op, world.beta.company_id: world.beta_op}
    for cid, html in pages.items():
        (other_id,) = set(pages) - {cid}
        view = world.api.get(f"/api/companies/{other_id}")
        for foreign in (view["name"], view["username"], view["file_id"]):
            assert foreign not in html, (cid, foreign)
        own_op, other_op = ops[cid], ops[other_id]
        assert f'<tr id="op-{own_op["id"]}"><td>{own_op["id"]}</td><td>New vendor' in html
        assert f'id="op-{other_op["id"]}"' not in html
        assert f"#{other_op['id']} New vendor" not in html
    gamma = fetch(world.server, "GET", f"/companies/{world.gamma['id']}", headers=browser.headers())
    assert gamma.status == 200
    for rig in (world.alpha, world.beta):
        view = world.api.get(f"/api/companies/{rig.company_id}")
        assert view["name"] not in gamma.text and view["username"] not in gamma.text
    # The session cookie and the CSRF token appear nowhere in a page but the token's own fields.
    for html in pages.values():
        assert browser.session not in html
        # The meta tag, and the hidden field of each form (sign-out, settings, row actions).
        forms = len(re.findall(r'<form [^>]*method="post"', html))
        assert len(re.findall(re.escape(browser.csrf), html)) == 1 + forms
        assert html.count(f'name="csrf_token" value="{browser.csrf}"') == forms
