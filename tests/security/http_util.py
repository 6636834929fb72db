"""Raw HTTP against the live server: any method, header or body, no redirect following."""

from __future__ import annotations

import http.client
import json
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


@dataclass
class SignedIn:
    """A signed-in browser as far as the server can tell: its cookies (and the CSRF token the
    pages hand out, once they do)."""

    cookie: str  # the Cookie header value

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Cookie": self.cookie, **(extra or {})}


def sign_in(server: LiveServer, token: str = ADMIN_TOKEN) -> SignedIn:
    reply = fetch(server, "POST", "/login", form={"token": token})
    assert reply.status in (302, 303), (reply.status, reply.text[:300])
    cookies = [c.split(";", 1)[0] for c in reply.headers["set-cookie"].split("\n")]
    return SignedIn(cookie="; ".join(cookies))
