"""Shared HTTP plumbing: sessions, timeouts, bounded retries and error translation."""
from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from connector import errors
from connector.metrics import observe_response

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BODY_IN_MESSAGE = 200
STATUS_ERRORS: dict[int, type[errors.UpstreamError]] = {
    401: errors.UpstreamAuthError,
    403: errors.UpstreamForbidden,
    409: errors.UpstreamConflict,
    429: errors.UpstreamRateLimited,
}


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``retries`` extra attempts, never waiting longer than ``max_wait`` at once.

    A wait longer than ``max_wait`` (a long Retry-After) is not slept: the error is raised with its
    ``retry_after`` so that a queue can reschedule instead of blocking a thread.
    """

    timeout: float = 5.0
    retries: int = 2
    max_wait: float = 2.0
    backoff: float = 0.2


class PinnedAdapter(HTTPAdapter):
    """Transport that enforces a timeout and the CA bundle on every request.

    For client libraries that take neither per call (simple-salesforce's writes): a timeout set here
    cannot be forgotten, and ``verify`` set here cannot be overridden by REQUESTS_CA_BUNDLE /
    CURL_CA_BUNDLE from the environment, which requests lets win over ``Session.verify``.
    """

    def __init__(self, *, timeout: float, verify: str | bool, pool_size: int = 32) -> None:
        super().__init__(pool_connections=4, pool_maxsize=pool_size)
        self._timeout = timeout
        self._verify = verify

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["timeout"] = kwargs.get("timeout") or self._timeout
        kwargs["verify"] = self._verify
        return super().send(request, **kwargs)


def pinned_session(*, timeout: float, verify: str | bool) -> requests.Session:
    session = requests.Session()
    adapter = PinnedAdapter(timeout=timeout, verify=verify)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def build_session(*, pool_size: int = 64) -> requests.Session:
    session = requests.Session()
    # requests re-reads proxy variables from the environment on every call (≈0.5 ms of CPU each);
    # where none is set there is nothing to read. CA bundles are passed per request (verify=).
    if not any(k.lower().endswith("_proxy") for k in os.environ):
        session.trust_env = False
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    service: str,
    policy: RetryPolicy,
    verify: str | bool = True,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> requests.Response:
    """One logical call: retries timeouts, refused connections, 429 and 5xx within ``policy``.

    Returns the final response whatever its status (callers decide what a 404 means); raises
    UpstreamUnavailable / UpstreamRateLimited once the retries are spent.
    """
    attempt = 0
    while True:
        try:
            response = session.request(method, url, timeout=policy.timeout, verify=verify, **kwargs)
            observe_response(service, response.status_code, response.elapsed.total_seconds())
        except requests.Timeout:
            observe_response(service, "timeout", policy.timeout)
            failure: errors.UpstreamError = errors.UpstreamUnavailable(
                f"{service} did not answer within {policy.timeout:g}s", service=service)
            wait = _backoff(policy, attempt)
        except requests.ConnectionError:
            observe_response(service, "unreachable", 0.0)
            failure = errors.UpstreamUnavailable(f"cannot reach {service}", service=service)
            wait = _backoff(policy, attempt)
        else:
            if response.status_code not in RETRYABLE_STATUSES:
                return response
            failure = error_from_response(response, service=service)
            wait = failure.retry_after if failure.retry_after is not None else _backoff(policy, attempt)
        if attempt >= policy.retries or wait > policy.max_wait:
            raise failure
        log.info("http.retry", extra={"service": service, "attempt": attempt + 1, "wait": round(wait, 3),
                                      "reason": failure.code})
        sleep(wait)
        attempt += 1


def error_from_response(response: requests.Response, *, service: str) -> errors.UpstreamError:
    """Translate a non-success response into the error tree, by status first (reference §11.11)."""
    status = response.status_code
    if status >= 500:
        cls: type[errors.UpstreamError] = errors.UpstreamUnavailable
    else:
        cls = STATUS_ERRORS.get(status, errors.UpstreamError)
    detail = describe_body(response)
    message = f"{service} answered HTTP {status}" + (f": {detail}" if detail else "")
    return cls(message, service=service, upstream_status=status, retry_after=retry_after(response))


def describe_body(response: requests.Response) -> str:
    """The code and message of any known error envelope, truncated; never the raw body."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    code = body.get("error_code") or body.get("code") or body.get("error") or body.get("title")
    text = body.get("message") or body.get("detail") or body.get("error_description") or body.get("title")
    nested = body.get("errors")
    if not text and isinstance(nested, dict):
        first: dict = next((v[0] for v in nested.values() if isinstance(v, list) and v), {})
        code, text = first.get("code", code), first.get("message")
    if isinstance(body.get("type"), str) and "/errors/" in body["type"]:
        code = body["type"].rsplit("/", 1)[-1]
    parts = [str(p) for p in (code, text) if p]
    return " ".join(dict.fromkeys(parts))[:MAX_BODY_IN_MESSAGE]


def retry_after(response: requests.Response) -> float | None:
    """Retry-After as seconds (delta-seconds or HTTP-date), or None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _backoff(policy: RetryPolicy, attempt: int) -> float:
    return policy.backoff * (2 ** attempt) * (0.5 + random.random() / 2)
