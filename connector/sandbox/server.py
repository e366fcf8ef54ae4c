"""Run a WSGI app on a loopback port in a background thread (emulators, tests, demo)."""
from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    """No access log: query strings carry identities, which must never reach a log."""

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


class ServerThread:
    def __init__(self, app, *, host: str = "127.0.0.1", port: int = 0, ssl_context=None) -> None:
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True,
                                                   request_handler=QuietHandler, ssl_context=ssl_context)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"sandbox-{port}", daemon=True)
        scheme = "https" if ssl_context else "http"
        self.url = f"{scheme}://{host}:{self._server.server_port}"
        self.port = self._server.server_port

    def start(self) -> "ServerThread":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
