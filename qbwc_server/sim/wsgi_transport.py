"""Call a WSGI application in-process instead of over a socket.

Same bytes in, same bytes out as over HTTP; it only skips TCP, which makes simulations of
thousands of sessions (a week of 15-minute runs) fast enough for a unit test. Pass it as
``SoapClient(url, transport=WsgiTransport(app))``. Anything touching real HTTP (keep-alive, proxies,
TLS, body-size limits of a front server) still needs the default http.client transport.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class WsgiTransport:
    def __init__(
        self,
        app: WsgiApp,
        *,
        host: str = "localhost",
        port: int = 80,
        remote_addr: str = "127.0.0.1",
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.remote_addr = remote_addr  # the client address the server sees (one per PC)

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        raw_path, _, query = path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(raw_path),
            "QUERY_STRING": query,
            "SERVER_NAME": self.host,
            "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": self.remote_addr,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "HTTP_HOST": f"{self.host}:{self.port}",
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value

        captured: dict[str, Any] = {}

        def start_response(
            status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            captured["status"] = status
            captured["headers"] = response_headers
            return lambda data: captured.setdefault("written", []).append(data)

        result = self.app(environ, start_response)
        try:
            chunks = list(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        payload = b"".join(captured.get("written", [])) + b"".join(chunks)
        status_code = int(str(captured.get("status", "500")).split(" ", 1)[0])
        content_type = ""
        for name, value in captured.get("headers", []):
            if name.lower() == "content-type":
                content_type = value
        return status_code, content_type, payload
