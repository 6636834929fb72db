"""Another web site on this machine, for cross-origin tests in the browser.

Served at ``http://localhost:<another port>``: a different *origin* from the server under test
but the same *site* (ports do not count for SameSite), as a sibling application under the same
domain would be. So SameSite cookies are sent to us from its pages, and only our own defences
(CSRF token, Origin checks, frame-ancestors) stand between its pages and our data.
"""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class AttackerSite:
    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.hits: list[str] = []
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://localhost:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.hits.append(request.path)
        html = self.pages.get(request.path)
        response = Response(html or "", status=200 if html else 404, mimetype="text/html")
        return response(environ, start_response)

    def serve(self, path: str, html: str) -> str:
        self.pages[path] = html
        return self.url + path

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
