"""What every ``aep-connector`` command shares: the runtime, and one readable line on failure."""
from __future__ import annotations

import sys
from collections.abc import Callable

import click

from connector import errors
from connector.config import load_settings
from connector.runtime import Runtime, build_runtime

EXIT_FAILURE, EXIT_CONFIG, EXIT_NOT_FOUND = 1, 2, 3


def fail(message: str, code: int = EXIT_FAILURE) -> None:
    click.echo(f"aep-connector: {message}", err=True)
    sys.exit(code)


def runtime(**overrides: object) -> Runtime:
    try:
        settings = load_settings()
        return build_runtime(settings.replace(**overrides) if overrides else settings)
    except errors.ConfigError as exc:
        fail(exc.message, EXIT_CONFIG)
        raise  # unreachable, for type checkers


def guarded(action: Callable[[], int | None]) -> None:
    try:
        code = action()
    except errors.ConfigError as exc:
        fail(exc.message, EXIT_CONFIG)
    except errors.ConnectorError as exc:
        fail(exc.message)
    else:
        sys.exit(code or 0)
