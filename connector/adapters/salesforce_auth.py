"""Salesforce OAuth: the connected app's token request, and whose session an Outbound Message carries.

Wire facts: ../shared/reference/salesforce.md §1.3. Both calls go over the client's pinned session
(timeout and CA bundle), to the configured instance only.
"""
from __future__ import annotations

import base64
import time
from typing import NamedTuple

import jwt
import requests
from simple_salesforce import Salesforce

from connector import errors
from connector.config import Settings

SERVICE = "Salesforce"
API_VERSION = "59.0"
TOKEN_PATH = "/services/oauth2/token"
USERINFO_PATH = "/services/oauth2/userinfo"
USERINFO_TIMEOUT_S = 5.0  # inside an Outbound Message delivery, which Salesforce gives 60 s


class SessionOwner(NamedTuple):
    """Whose session it is, as Salesforce's userinfo says."""

    org_id: str
    user_id: str


def oauth_grant(settings: Settings) -> tuple[dict, dict]:
    """The OAuth request of the configured mode (reference §1.3): JWT bearer, username-password,
    else client credentials (the default; it needs the org's My Domain URL and a "Run As" user)."""
    s = settings
    if s.salesforce_username and s.salesforce_private_key:
        key = s.salesforce_private_key
        if not key.lstrip().startswith("-----BEGIN"):
            with open(key, encoding="utf-8") as fh:
                key = fh.read()
        assertion = jwt.encode({"iss": s.salesforce_client_id, "sub": s.salesforce_username,
                                "aud": s.salesforce_login_url.rstrip("/"), "exp": int(time.time()) + 180},
                               key, algorithm="RS256")
        return {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}, {}
    if s.salesforce_username and s.salesforce_password:
        return {"grant_type": "password", "client_id": s.salesforce_client_id,
                "client_secret": s.salesforce_client_secret, "username": s.salesforce_username,
                "password": s.salesforce_password}, {}
    basic = base64.b64encode(f"{s.salesforce_client_id}:{s.salesforce_client_secret}".encode()).decode()
    return {"grant_type": "client_credentials"}, {"Authorization": f"Basic {basic}"}


def log_in(session: requests.Session, *, base: str, settings: Settings) -> tuple[Salesforce, str | None]:
    """A simple-salesforce client over ``session`` with a new token, and the id of the user it runs as."""
    form, headers = oauth_grant(settings)
    try:
        response = session.post(base + TOKEN_PATH, data=form, headers=headers)
    except requests.RequestException:
        raise errors.UpstreamUnavailable("cannot reach Salesforce", service=SERVICE) from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if response.status_code != 200 or "access_token" not in body:
        reason = body.get("error", response.status_code)
        raise errors.UpstreamAuthError(f"Salesforce refused the connected app ({reason})", service=SERVICE,
                                       upstream_status=response.status_code)
    user_id = str(body.get("id", "")).rstrip("/").rsplit("/", 1)[-1] or None
    return Salesforce(session_id=body["access_token"], instance_url=body["instance_url"].rstrip("/"),
                      session=session, version=API_VERSION), user_id


def userinfo_owner(session: requests.Session, *, base: str, session_id: str) -> SessionOwner | None:
    """The org and user of a Salesforce session, or None when Salesforce does not accept the session.

    ``GET /services/oauth2/userinfo`` with the session as Bearer token names ``organization_id`` and
    ``user_id`` (OpenID Connect UserInfo); an unknown or expired token is refused with 401 (403 is
    read the same).
    """
    try:
        response = session.get(base + USERINFO_PATH, timeout=USERINFO_TIMEOUT_S, allow_redirects=False,
                               headers={"Authorization": f"Bearer {session_id}", "Accept": "application/json"})
    except requests.Timeout:
        raise errors.UpstreamUnavailable("Salesforce did not answer in time", service=SERVICE) from None
    except requests.RequestException:
        raise errors.UpstreamUnavailable("cannot reach Salesforce", service=SERVICE) from None
    if response.status_code in (401, 403):
        return None
    if response.status_code >= 500 or response.status_code == 429:
        raise errors.UpstreamUnavailable(f"Salesforce userinfo answered {response.status_code}", service=SERVICE,
                                         upstream_status=response.status_code)
    try:
        body = response.json() if response.status_code == 200 else None
    except ValueError:
        body = None
    org = body.get("organization_id") if isinstance(body, dict) else None
    if not isinstance(org, str) or not org:
        raise errors.UpstreamError(f"Salesforce userinfo answered {response.status_code} without an org",
                                   service=SERVICE, upstream_status=response.status_code)
    user = body.get("user_id") if isinstance(body, dict) else None
    return SessionOwner(org_id=org, user_id=user if isinstance(user, str) else "")
