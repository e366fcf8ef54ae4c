"""Run a WSGI app on a loopback port in a background thread (emulators, tests, demo).

Plain HTTP uses waitress, which keeps connections alive as the real services do (werkzeug's
server closes every connection, which would make each emulated call pay a new TCP handshake).
TLS (needed where a client insists on https) uses werkzeug's server with an SSL context.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any, TypeVar

from waitress.server import create_server
from werkzeug.serving import WSGIRequestHandler, make_server

E = TypeVar("E", bound="RunningEmulator")


class QuietHandler(WSGIRequestHandler):
    """No access log: query strings carry identities, which must never reach a log."""

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


class ServerThread:
    def __init__(self, app, *, host: str = "127.0.0.1", port: int = 0, ssl_context=None,
                 threads: int = 64) -> None:
        if ssl_context is None:
            self._server = create_server(app, host=host, port=port, threads=threads, ident=None,
                                         clear_untrusted_proxy_headers=True)
            self.port = self._server.effective_port
            self._serve, self._shutdown = self._server.run, self._stop_waitress
        else:
            self._server = make_server(host, port, app, threaded=True, request_handler=QuietHandler,
                                       ssl_context=ssl_context)
            self._server.daemon_threads = True
            self.port = self._server.server_port
            self._serve, self._shutdown = self._server.serve_forever, self._stop_werkzeug
        scheme = "https" if ssl_context else "http"
        self.url = f"{scheme}://{host}:{self.port}"
        self._thread = threading.Thread(target=self._run, name=f"sandbox-{self.port}", daemon=True)

    def _run(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # the socket map was torn down by stop()
            self._serve()

    def start(self) -> "ServerThread":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._shutdown()
        self._thread.join(timeout=5)

    def _stop_waitress(self) -> None:
        logging.getLogger("waitress").setLevel(logging.CRITICAL)
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=0.2)
        for channel in list(self._server._map.values()):
            channel.handle_close()
        self._server.close()

    def _stop_werkzeug(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class RunningEmulator:
    """Base of the emulators: a ``world`` (state, faults, request log) served on a loopback port."""

    world: Any
    url: str

    def _serve(self, app: Any, **server: Any) -> None:
        self._server = ServerThread(app, **server)
        self.url = self._server.url

    @property
    def faults(self) -> Any:
        return self.world.faults

    def start(self: E) -> E:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
