"""Structured JSON logs: one object a line, with the request or job id they belong to.

Log calls use a stable dotted key as the message and pass only non-personal facts in ``extra``
(codes, counts, statuses); libraries that log URLs or bodies are held at WARNING (see ``setup``).
"""
from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import datetime, timezone

CONTEXT: contextvars.ContextVar[tuple[tuple[str, str], ...]] = contextvars.ContextVar("log_context", default=())
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
NOISY = ("urllib3", "zenpy", "werkzeug", "waitress.queue", "huey", "alembic")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "event": record.getMessage()}
        entry.update(dict(CONTEXT.get()))
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__  # the type only: messages may carry values
        return json.dumps(entry, default=str)


def setup(level: str = "INFO", *, stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.set_name("connector-json")
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if h.get_name() != "connector-json"] + [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    for name in NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))


def bind(**values: str) -> contextvars.Token:
    """Attach ids (request_id, job) to every log line of the current request or job."""
    return CONTEXT.set(tuple({**dict(CONTEXT.get()), **values}.items()))


def unbind(token: contextvars.Token) -> None:
    CONTEXT.reset(token)
