"""Fault knobs shared by the emulators: latency, error rate, scripted responses."""
from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class Scripted:
    """Answer the next ``times`` requests whose path starts with ``path`` with ``status``."""

    status: int
    path: str = "/"
    times: int = 1
    retry_after: float | None = None
    body: dict | None = None
    delay_ms: float = 0.0
    method: str | None = None  # only this HTTP method (None: any)


@dataclass
class Faults:
    latency_ms: float = 0.0        # added to every request
    error_rate: float = 0.0        # share of requests answered 500
    error_status: int = 500
    error_path: str = "/"          # the random errors hit only paths under this prefix
    events_status: int | None = None  # e.g. 403: event lookups refused (licence lacks them)
    seed: int = 7
    _script: deque = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self._rng.seed(self.seed)

    def update(self, **knobs: object) -> None:
        with self._lock:
            for name, value in knobs.items():
                if name.startswith("_") or not hasattr(self, name):
                    raise ValueError(f"unknown fault knob {name!r}")
                setattr(self, name, value)
            self._rng.seed(self.seed)

    def script(self, *items: Scripted) -> None:
        with self._lock:
            self._script.extend(items)

    def reset(self) -> None:
        with self._lock:
            self.latency_ms, self.error_rate, self.events_status, self.error_path = 0.0, 0.0, None, "/"
            self._script.clear()

    def pick(self, path: str, method: str = "GET") -> Scripted | None:
        """The scripted or random failure for this request, if any (consumes one scripted use)."""
        with self._lock:
            for item in self._script:
                if path.startswith(item.path) and item.method in (None, method):
                    item.times -= 1
                    if item.times <= 0:
                        self._script.remove(item)
                    return item
            if self.error_rate and path.startswith(self.error_path) and self._rng.random() < self.error_rate:
                return Scripted(status=self.error_status)
        return None

    def delay(self) -> None:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000.0)
