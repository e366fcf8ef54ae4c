"""Hostile-input suite: shared bounds, counters, log capture and the runtime every route is driven against.

Bounded so that the whole suite runs in well under two minutes on two cores: HOSTILE_EXAMPLES (per route or
property, default below) sets the Hypothesis budget. The number of generated cases is printed at the end of
the run and written to tests/artifacts/hostile.json (git-ignored) for the release notes.
"""
from __future__ import annotations

import io
import json
import logging
import os
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from connector.logs import NOISY, setup
from connector.sandbox import seed

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "30"))
CASE_LIMIT_S = 2.0
ARTIFACT = Path(__file__).resolve().parents[1] / "artifacts" / "hostile.json"
CASES: Counter = Counter()  # suite part → generated cases
SEEDED = seed.customer(1)
KNOWN_IDENTITIES = (SEEDED.email, SEEDED.phone, SEEDED.crm_id, SEEDED.ecid, SEEDED.crm_email)
OPERATOR_TOKEN = "hostile-operator-token-0123456789"
LOOKUP_KEY = "hostile-lookup-key"
WEBHOOK_SECRET = "hostile-webhook-secret"
CALLOUT_SECRET = "hostile-callout-secret"


class CaseTimeout(Exception):
    """A generated case ran past its limit: the connector hung on it."""


@contextmanager
def time_limit(seconds: float = CASE_LIMIT_S) -> Iterator[None]:
    """Abort the case (in the main thread, through SIGALRM) when it runs longer than ``seconds``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum, _frame):
        raise CaseTimeout(f"a generated case ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class LogTap:
    """Every log line the connector would print in production (its JSON set-up at DEBUG), for identity checks."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def text(self) -> str:
        return self.stream.getvalue()


@pytest.fixture()
def log_tap() -> Iterator[LogTap]:
    tap = LogTap()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {name: logging.getLogger(name).level for name in NOISY}
    setup("DEBUG", stream=tap.stream)  # as `serve --log-level DEBUG` does: libraries that log URLs held back
    try:
        yield tap
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, was in noisy.items():
            logging.getLogger(name).setLevel(was)


def leaked(text: str, values) -> list[str]:
    return [v for v in values if v and v in text]


def pytest_terminal_summary(terminalreporter) -> None:
    if not CASES:
        return
    total = sum(CASES.values())
    parts = ", ".join(f"{name} {count}" for name, count in sorted(CASES.items()))
    terminalreporter.write_line(f"hostile-input suite: {total} generated cases ({parts})")
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps({"total": total, "by_part": dict(CASES), "examples_setting": EXAMPLES},
                                   indent=2), encoding="utf-8")
