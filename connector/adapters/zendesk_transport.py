"""The Zendesk transport: one authenticated session, zenpy on top of it, the shared rate-limit gate and
budget, and the translation of every failure into the error tree (reference/zendesk.md §4).

zenpy runs with its cache off and a zero rate-limit budget, so a 429 raises (with its Retry-After) instead
of sleeping in a worker or a request.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from zenpy import Zenpy
from zenpy.lib.api import BaseApi
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, RecordNotFoundException, ZenpyException

from connector import errors
from connector.adapters.http import RetryPolicy, build_session, error_from_response, retry_after, send
from connector.adapters.ratelimit import Budget
from connector.adapters.zendesk_limits import per_record_refusal, spent_wait
from connector.config import Settings
from connector.metrics import observe_response

log = logging.getLogger(__name__)

SERVICE = "Zendesk"


class ZendeskTransport:
    """Construction, auth, timeouts and error translation for every Zendesk call (``ZendeskClient``'s base)."""

    def __init__(self, settings: Settings, *, timeout: float = 10.0, budget: Budget | None = None) -> None:
        settings.require("zendesk_url", "zendesk_email", "zendesk_api_token")
        self._base = str(settings.zendesk_url).rstrip("/")
        self.policy = RetryPolicy(timeout=timeout, retries=1, max_wait=1.0)
        self._session = build_session(pool_size=32)
        self._last = threading.local()
        self._session.hooks["response"].append(self._remember)
        parts = urlsplit(self._base)
        subdomain, _, domain = (parts.netloc or "").partition(".")
        self._zenpy = Zenpy(subdomain=subdomain, domain=domain, email=settings.zendesk_email,
                            token=settings.zendesk_api_token, session=self._session, timeout=timeout,
                            ratelimit_budget=0, disable_cache=True)
        for api in vars(self._zenpy).values():  # plain http is allowed for local emulators only
            if isinstance(api, BaseApi):
                api.protocol = parts.scheme
        self._blocked_until = 0.0  # shared by every thread: after a 429, nobody calls until it passes
        self._budget = budget
        self._credit = threading.local()  # calls reserved by the job running on this thread

    def _get(self, path: str, params: dict | None = None) -> dict:
        return self._send("GET", path, params=params).json()

    def _json(self, method: str, path: str, body: dict) -> dict:
        return self._send(method, path, json=body).json()

    def _send(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> requests.Response:
        self._check_gate()
        if not auth:
            kwargs["auth"] = None
        response = send(self._session, method, self._base + path, service=SERVICE, policy=self.policy, **kwargs)
        if response.status_code >= 400:
            raise zendesk_error(response)
        return response

    def reserve(self, calls: int) -> None:
        """Take a job's calls from the shared budget at once; its calls then draw on the reservation."""
        self._check_gate(units=calls)
        self._credit.calls = calls

    def _check_gate(self, units: int = 1) -> None:
        wait = self._blocked_until - time.monotonic()
        if wait > 0:
            raise errors.UpstreamRateLimited("Zendesk rate limit reached (waiting for the window to reset)",
                                             service=SERVICE, upstream_status=429, retry_after=wait)
        if self._budget is None:
            return
        credit = getattr(self._credit, "calls", 0)
        if units == 1 and credit > 0:
            self._credit.calls = credit - 1
            return
        self._budget.take(units)

    def _zen(self, call: Any) -> Any:
        """Run a zenpy call, translating its exceptions into the error tree."""
        self._check_gate()
        try:
            return call()
        except RatelimitBudgetExceeded:
            last = getattr(self._last, "response", None)
            wait = retry_after(last) if last is not None else None
            raise errors.UpstreamRateLimited("Zendesk rate limit reached", service=SERVICE, upstream_status=429,
                                             retry_after=wait if wait is not None else 10.0) from None
        except RecordNotFoundException:
            raise errors.UpstreamError("Zendesk has no such record", service=SERVICE, upstream_status=404,
                                       code="upstream_not_found") from None
        except APIException as exc:
            response = getattr(exc, "response", None)
            if response is None:
                raise errors.UpstreamError("Zendesk refused the request", service=SERVICE) from None
            raise zendesk_error(response) from None
        except requests.Timeout:
            raise errors.UpstreamUnavailable("Zendesk did not answer in time", service=SERVICE) from None
        except (requests.ConnectionError, requests.exceptions.RetryError):
            raise errors.UpstreamUnavailable("cannot reach Zendesk", service=SERVICE) from None
        except requests.HTTPError as exc:
            raise zendesk_error(exc.response) from None
        except ZenpyException as exc:
            raise errors.UpstreamError(f"Zendesk client error: {exc.__class__.__name__}", service=SERVICE) from None

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Keep the last response (zenpy hides its Retry-After) and close the gate on a spent budget."""
        self._last.response = response
        if response.request.method != "GET":  # reads go through send(), which counts them
            observe_response(SERVICE, response.status_code, response.elapsed.total_seconds())
        if response.status_code == 429:
            wait = None if per_record_refusal(response.headers) else retry_after(response) or 1.0
        else:
            wait = spent_wait(response.headers)
        if wait:
            self._blocked_until = max(self._blocked_until, time.monotonic() + wait)
            log.info("zendesk.rate_limit.wait", extra={"seconds": wait})



def zendesk_error(response: requests.Response) -> errors.UpstreamError:
    """The error tree's error, with Zendesk's ``description`` and each ``details`` entry (§4.1)."""
    error = error_from_response(response, service=SERVICE)
    try:
        body = response.json()
    except ValueError:
        return error
    if not isinstance(body, dict):
        return error
    parts = [str(body["description"])] if isinstance(body.get("description"), str) else []
    details: dict = body["details"] if isinstance(body.get("details"), dict) else {}
    parts += [str(d.get("description")) for entries in details.values() if isinstance(entries, list)
              for d in entries if isinstance(d, dict) and d.get("description")]
    if parts:
        error.message = f"{error.message}: {'; '.join(parts)}"[:500]
        error.args = (error.message,)
    return error
