"""Raw HTTP against the live server: any method, header or body, no redirect following."""

from __future__ import annotations

import http.client
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from tests.conftest import ADMIN_TOKEN, LiveServer


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with "\n"
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        assert self.headers.get("content-type", "").startswith("application/json"), (
            self.status,
            self.headers,
            self.body[:300],
        )
        return json.loads(self.body)


def fetch(
    server: LiveServer,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    form: dict[str, str] | None = None,
    json_body: Any = None,
    bearer: str | None = None,
    timeout: float = 30,
) -> Reply:
    hdrs = dict(headers or {})
    if form is not None:
        body = urlencode(form)
        hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
    if json_body is not None:
        body = json.dumps(json_body)
        hdrs.setdefault("Content-Type", "application/json")
    if bearer is not None:
        hdrs["Authorization"] = f"Bearer {bearer}"
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        out: dict[str, str] = {}
        for name, value in resp.getheaders():
            key = name.lower()
            out[key] = out[key] + "\n" + value if key in out else value
        return Reply(resp.status, out, data)
    finally:
        conn.close()


def api_call(server: LiveServer, method: str, path: str, body: Any = None) -> Reply:
    """An API call as a bearer-token client makes it."""
    return fetch(server, method, path, json_body=body, bearer=ADMIN_TOKEN)


SESSION_COOKIE = "qbwc_session"
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@dataclass
class SignedIn:
    """A signed-in browser as far as the server can tell: its session cookie and the CSRF
    token its pages carry."""

    session: str  # the cookie value
    csrf: str

    @property
    def cookie(self) -> str:
        return f"{SESSION_COOKIE}={self.session}"

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Cookie": self.cookie, **(extra or {})}

    def writing(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Headers of a same-origin script's state-changing API call."""
        return self.headers({"X-CSRF-Token": self.csrf, **(extra or {})})


def session_cookie_of(reply: Reply, name: str = SESSION_COOKIE) -> str:
    for line in reply.headers.get("set-cookie", "").split("\n"):
        if line.startswith(name + "="):
            return line.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no {name} cookie in {reply.headers}")


def csrf_of(html: str) -> str:
    found = _CSRF_META.search(html)
    assert found, html[:500]
    return found.group(1)


def sign_in(server: LiveServer, token: str = ADMIN_TOKEN) -> SignedIn:
    reply = fetch(server, "POST", "/login", form={"token": token})
    assert reply.status == 303, (reply.status, reply.text[:300])
    session = session_cookie_of(reply)
    page = fetch(server, "GET", "/", headers={"Cookie": f"{SESSION_COOKIE}={session}"})
    assert page.status == 200, page.status
    return SignedIn(session=session, csrf=csrf_of(page.text))
