"""Adobe IMS: the OAuth Server-to-Server bearer token every AEP call carries (reference/aep.md §1.1)."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import requests

from connector import errors
from connector.adapters.aep_bodies import json_body
from connector.adapters.http import RetryPolicy, error_from_response, send
from connector.config import Settings

log = logging.getLogger(__name__)

TOKEN_PATH = "/ims/token/v3"


class ImsAuth(requests.auth.AuthBase):
    """OAuth Server-to-Server bearer token (§1.1), cached, shared by threads, refreshed early."""

    def __init__(self, *, settings: Settings, session: requests.Session, policy: RetryPolicy,
                 verify: str | bool, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._session = session
        self._policy = policy
        self._verify = verify
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self, stale: str) -> None:
        """Forget ``stale`` (after a 401) unless another thread has already replaced it."""
        with self._lock:
            if self._token == stale:
                self._token = None

    def _fetch(self) -> None:
        s = self._settings
        response = send(
            self._session, "POST", s.aep_ims_url.rstrip("/") + TOKEN_PATH, service="Adobe IMS",
            policy=self._policy, verify=self._verify,
            data={"grant_type": "client_credentials", "client_id": s.aep_client_id,
                  "client_secret": s.aep_client_secret, "scope": s.aep_scopes},
        )
        if response.status_code != 200:
            error = error_from_response(response, service="Adobe IMS")
            if response.status_code in (400, 401, 403):
                raise errors.UpstreamAuthError(f"Adobe IMS refused the credential ({error.message})",
                                               service="Adobe IMS", upstream_status=response.status_code)
            raise error
        body = json_body(response)
        token, lifetime = body.get("access_token"), body.get("expires_in")
        if not token or not isinstance(lifetime, (int, float)):
            raise errors.UpstreamError("Adobe IMS answered without access_token/expires_in", service="Adobe IMS")
        # /ims/token/v3 gives seconds (§1.1); refresh ahead of expiry, by a tenth of the lifetime at most 5 min.
        self._token = token
        self._refresh_at = self._clock() + lifetime - min(300.0, lifetime / 10)
        log.info("aep.token.fetched", extra={"expires_in": lifetime})
