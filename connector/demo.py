"""``aep-connector demo``: the AEP emulator, each provider's emulator and the connector on localhost, with seed data.

State (SQLite database and queue) goes to a temporary folder unless CONNECTOR_DATABASE_URL /
CONNECTOR_QUEUE_URL say otherwise, so each demo starts clean.
"""
from __future__ import annotations

import errno
import os
import tempfile
import threading
import time
from collections.abc import Callable

from connector import create_app
from connector.config import load_settings
from connector.errors import ConfigError
from connector.providers import all_providers
from connector.runtime import build_runtime
from connector.sandbox import seed
from connector.sandbox.server import ServerThread
from connector.textcard import render

DEFAULT_PORT = 8080


def run_demo(*, port: int, echo: Callable[[str], None], serve: bool = True, any_port_if_taken: bool = False) -> int:
    settings = load_settings().replace(sandbox=True)
    state = tempfile.mkdtemp(prefix="aep-connector-demo-")
    if "CONNECTOR_DATABASE_URL" not in os.environ:
        settings = settings.replace(database_url=f"sqlite:///{state}/connector.db")
    if "CONNECTOR_QUEUE_URL" not in os.environ:
        settings = settings.replace(queue_url=f"sqlite:///{state}/queue.db")
    runtime = build_runtime(settings)
    try:
        server = _bind(runtime, port=port, any_port_if_taken=any_port_if_taken, echo=echo)
    except BaseException:
        runtime.close()
        raise
    runtime.warm()
    server.start()
    runtime.start_workers()
    try:
        _tour(runtime, server.url, runtime.sandboxes["aep"].url, echo)
        for provider in all_providers():
            connected, sandbox = runtime.providers.get(provider.name), runtime.sandboxes.get(provider.name)
            if connected is not None and sandbox is not None:
                echo("")
                provider.demo(connected, runtime=runtime, server_url=server.url, sandbox=sandbox, echo=echo)
        if serve:
            echo("Ctrl-C stops.")
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        runtime.close()
    return 0


def _bind(runtime, *, port: int, any_port_if_taken: bool, echo: Callable[[str], None]) -> ServerThread:
    """The connector's server on ``port``; when the default port is taken, on a free one instead."""
    app = create_app(runtime=runtime)
    try:
        return ServerThread(app, port=port, threads=runtime.settings.web_threads)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise ConfigError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
        if not any_port_if_taken:
            raise ConfigError(f"port {port} is already in use: choose another with --port") from None
    server = ServerThread(app, port=0, threads=runtime.settings.web_threads)
    echo(f"Port {port} is already in use; the connector listens on {server.port} instead (--port chooses one).")
    return server


def _tour(runtime, base: str, aep_url: str, echo: Callable[[str], None]) -> None:
    key = runtime.settings.api_keys[0]
    sample = seed.customer(1)
    echo(f"AEP emulator:      {aep_url}  ({seed.DEFAULT_CUSTOMERS} seeded customers)")
    echo(f"Connector:         {base}")
    echo(f"API key:           {key}")
    echo("")
    echo("Sample customers (any of their identities finds the same profile):")
    for index in (1, 2, 3):
        c = seed.customer(index)
        echo(f"  {c.first} {c.last}: Email={c.email}  CRMID={c.crm_id}  Phone_E.164={c.phone}")
    oversized = seed.customer(seed.DEFAULT_CUSTOMERS - 1)
    echo(f"  oversized identity graph (AEP refuses it): CRMID={oversized.crm_id}")
    echo("")
    echo("Sample lookup (the agent card), by e-mail as a CRM holds it:")
    echo(render(runtime.lookup.by_identity("Email", sample.crm_email).to_dict()))
    echo("")
    echo("Try:")
    echo(f"  curl '{base}/readyz'")
    s = runtime.settings
    echo(f"  CONNECTOR_AEP_IMS_URL={aep_url} CONNECTOR_AEP_PLATFORM_URL={aep_url} "
         f"CONNECTOR_AEP_CLIENT_ID={s.aep_client_id} CONNECTOR_AEP_CLIENT_SECRET={s.aep_client_secret} "
         f"CONNECTOR_AEP_ORG_ID={s.aep_org_id} aep-connector lookup --namespace CRMID --id {sample.crm_id}")


def wait_for_job(runtime, key: str, timeout: float = 15.0):
    deadline = time.time() + timeout
    job = None
    while time.time() < deadline:
        job = runtime.store.job(key)
        if job and job.status in ("done", "dead"):
            return job
        time.sleep(0.1)
    return job
