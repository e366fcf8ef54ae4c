"""Read Zendesk's rate-limit headers, whichever family a response carries.

reference/zendesk.md §4.2 and pitfall 13: ``X-Rate-Limit`` / ``X-Rate-Limit-Remaining`` on every
response; ``ratelimit-limit|remaining|reset`` (documented now); ``rate-limit|rate-limit-remaining|
rate-limit-reset`` (2023 responses); and per-endpoint ``zendesk-ratelimit-<name>`` /
``zendesk-rate-limit-<name>: total=…; remaining=…; resets=…``. Names are matched case-blind.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

REMAINING = ("x-rate-limit-remaining", "ratelimit-remaining", "rate-limit-remaining")
RESET = ("ratelimit-reset", "rate-limit-reset")
ENDPOINT_PREFIXES = ("zendesk-ratelimit-", "zendesk-rate-limit-")
PER_RECORD = ("tickets-update",)  # a spent per-ticket budget says nothing about other tickets
SPENT_WITHOUT_RESET_S = 10.0  # remaining 0 but no reset given: look again shortly
_PAIR = re.compile(r"(\w+)\s*=\s*(\d+(?:\.\d+)?)")


def spent_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait when a header says the account (or an endpoint) budget is spent, else None."""
    lowered = {k.lower(): v for k, v in headers.items()}
    waits = []
    if any(_number(lowered.get(name)) == 0 for name in REMAINING):
        reset = next((r for r in (_number(lowered.get(name)) for name in RESET) if r is not None), None)
        waits.append(reset if reset else SPENT_WITHOUT_RESET_S)
    for name, value in lowered.items():
        endpoint = next((name[len(p):] for p in ENDPOINT_PREFIXES if name.startswith(p)), None)
        if endpoint is None or endpoint in PER_RECORD:
            continue
        pairs = {k.lower(): float(v) for k, v in _PAIR.findall(value)}
        if pairs.get("remaining") == 0:
            waits.append(pairs.get("resets") or SPENT_WITHOUT_RESET_S)
    return max(waits) if waits else None


def per_record_refusal(headers: Mapping[str, str]) -> bool:
    """Whether a 429 is about one record's budget (a ticket's 30 updates in 10 minutes, §4.2 / pitfall 13):
    a per-record header says remaining 0 while no account or endpoint budget is spent. Such a refusal
    must hold back that record only, never every call of the process."""
    lowered = {k.lower(): v for k, v in headers.items()}
    spent = False
    for name, value in lowered.items():
        endpoint = next((name[len(p):] for p in ENDPOINT_PREFIXES if name.startswith(p)), None)
        if endpoint in PER_RECORD:
            spent = spent or {k.lower(): float(v) for k, v in _PAIR.findall(value)}.get("remaining") == 0
    return spent and spent_wait(headers) is None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None and value.strip() else None
    except ValueError:
        return None
