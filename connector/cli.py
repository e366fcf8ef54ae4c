"""The ``aep-connector`` command line."""
from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable

import click

from connector import errors
from connector.config import load_settings
from connector.runtime import Runtime, build_runtime

EXIT_FAILURE, EXIT_CONFIG, EXIT_NOT_FOUND = 1, 2, 3


def _fail(message: str, code: int = EXIT_FAILURE) -> None:
    click.echo(f"aep-connector: {message}", err=True)
    sys.exit(code)


def _runtime(**overrides: object) -> Runtime:
    try:
        settings = load_settings()
        return build_runtime(settings.replace(**overrides) if overrides else settings)
    except errors.ConfigError as exc:
        _fail(exc.message, EXIT_CONFIG)
        raise  # unreachable, for type checkers


def _guarded(action: Callable[[], int | None]) -> None:
    try:
        code = action()
    except errors.ConfigError as exc:
        _fail(exc.message, EXIT_CONFIG)
    except errors.ConnectorError as exc:
        _fail(exc.message)
    else:
        sys.exit(code or 0)


@click.group()
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING (default from CONNECTOR_LOG_LEVEL).")
def main(log_level: str | None) -> None:
    """AEP Real-Time Customer Profile for agents in Zendesk and Salesforce."""
    import os

    level = (log_level or os.environ.get("CONNECTOR_LOG_LEVEL") or "WARNING").upper()
    logging.basicConfig(level=getattr(logging, level, logging.WARNING),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")


@main.command()
@click.option("--namespace", "-n", required=True, help="AEP identity namespace, e.g. Email, CRMID, Phone_E.164.")
@click.option("--id", "value", required=True, help="The identity value.")
@click.option("--json", "as_json", is_flag=True, help="Print the card as JSON (same as the lookup API).")
def lookup(namespace: str, value: str, as_json: bool) -> None:
    """Look up one profile through the configured AEP and print the agent card."""
    from connector.textcard import render

    def action() -> int:
        runtime = _runtime()
        card = runtime.lookup.by_identity(namespace, value)
        data = card.to_dict()
        click.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else render(data))
        return 0 if card.status == "found" else EXIT_NOT_FOUND

    _guarded(action)


@main.command()
def check() -> None:
    """Validate settings and the mapping manifest, then check each configured service."""
    from connector.checks import run_checks

    _guarded(lambda: run_checks(_runtime(), echo=click.echo))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the web process (production WSGI server)."""
    from waitress import serve as waitress_serve

    from connector import create_app

    runtime = _runtime()
    runtime.warm_in_background()
    app = create_app(runtime=runtime)
    click.echo(f"aep-connector listening on http://{host}:{port}", err=True)
    waitress_serve(app, host=host, port=port, threads=runtime.settings.web_threads, ident="aep-connector")


@main.command()
@click.option("--port", default=8080, show_default=True, type=int, help="Port of the connector.")
def demo(port: int) -> None:
    """Start the AEP emulator and the connector on localhost with seed data; Ctrl-C stops."""
    from connector.demo import run_demo

    _guarded(lambda: run_demo(port=port, echo=click.echo))


if __name__ == "__main__":
    main()
