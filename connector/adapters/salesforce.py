"""Salesforce: OAuth client credentials, record reads, PATCH of changed fields, sObject Collections.

Wire facts: ../shared/reference/salesforce.md. simple-salesforce has no timeouts and no retries
(§1.9): every call runs over a session whose transport pins the timeout and the CA bundle, a 401
INVALID_SESSION_ID re-authenticates once, and Salesforce's errors are translated here. The org's
daily usage (``Sforce-Limit-Info``) is read after each call; enrichment throttles on it. Each object's
``describe`` is read once and kept (``field_metadata``) until Salesforce answers ``INVALID_FIELD``.
The OAuth token request and the userinfo check of a session are in ``salesforce_auth``.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import requests
from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from connector import errors
from connector.adapters.http import pinned_session
from connector.adapters.salesforce_auth import SERVICE, SessionOwner, log_in, userinfo_owner
from connector.config import Settings
from connector.core.fieldfit import FieldMeta
from connector.metrics import observe_response

log = logging.getLogger(__name__)

COLLECTION_MAX = 200
LIMIT_PAUSE_S = 900.0  # TotalRequests: the rolling 24 h allocation frees up slowly (reference §7.2)
CONCURRENT_PAUSE_S = 5.0
_LIMIT_INFO = re.compile(r"(?:^|[^-])api-usage=(\d+)/(\d+)")
KINDS = {"string": "text", "textarea": "text", "email": "text", "phone": "text", "url": "text",
         "encryptedstring": "text", "multipicklist": "text", "combobox": "choice", "picklist": "choice",
         "double": "number", "currency": "number", "percent": "number", "int": "number", "long": "number",
         "datetime": "datetime", "date": "date", "boolean": "boolean", "id": "reference", "reference": "reference"}
REFRESH_CODES = {"INVALID_FIELD", "INVALID_FIELD_FOR_INSERT_UPDATE"}  # the org's fields changed under us


@dataclass(frozen=True)
class Usage:
    used: int
    allocation: int

    @property
    def share(self) -> float:
        return self.used / self.allocation if self.allocation else 0.0


class SalesforceClient:
    def __init__(self, settings: Settings, *, timeout: float = 10.0) -> None:
        settings.require("salesforce_instance_url", "salesforce_client_id")
        if not (settings.salesforce_client_secret or settings.salesforce_private_key):
            settings.require("salesforce_client_secret")
        self._settings = settings
        self._base = str(settings.salesforce_instance_url).rstrip("/")
        self._namespace = settings.salesforce_namespace
        self._session = pinned_session(timeout=timeout, verify=settings.ca_bundle or True)
        self._session.hooks["response"].append(self._read_usage)
        self._lock = threading.Lock()
        self._sf: Salesforce | None = None
        self.user_id: str | None = None
        self.usage: Usage | None = None
        self._metadata: dict[str, dict[str, FieldMeta]] = {}

    # -- calls -------------------------------------------------------------------------------

    def get(self, obj: str, record_id: str, fields: list[str]) -> dict:
        api_fields = ",".join(self.api_name(f) for f in fields)
        record = self._call(lambda sf: getattr(sf, obj).get(record_id, params={"fields": api_fields}))
        return {self.local_name(k): v for k, v in record.items() if k != "attributes"}

    def query(self, obj: str, fields: list[str], *, ids: list[str] | None = None,
              limit: int | None = None) -> list[dict]:
        """Records of one object (all pages), optionally by id (≤200 ids a query), as local field names."""
        select = ", ".join(self.api_name(f) for f in fields)
        chunks: list[list[str] | None] = [ids[i:i + COLLECTION_MAX] for i in range(0, len(ids), COLLECTION_MAX)] \
            if ids else [None]
        records: list[dict] = []
        for chunk in chunks:
            soql = f"SELECT {select} FROM {obj}"  # noqa: S608 - names from our manifest; ids via format_soql
            if chunk is not None:
                soql = format_soql(soql + " WHERE Id IN {}", chunk)
            if limit:
                soql += f" LIMIT {int(limit)}"
            result = self._call(partial(_query_all, soql=soql))
            records.extend({self.local_name(k): v for k, v in r.items() if k != "attributes"}
                           for r in result.get("records") or [])
        return records

    def update(self, obj: str, record_id: str, changes: dict[str, Any]) -> None:
        """PATCH only the given fields (204)."""
        body = {self.api_name(k): v for k, v in changes.items()}
        self._call(lambda sf: getattr(sf, obj).update(record_id, body))

    def update_many(self, writes: list[tuple[str, str, dict[str, Any]]]) -> list[str | None]:
        """sObject Collections PATCH, ≤200 records a call; per record None or its error text (§2.3)."""
        outcomes: list[str | None] = []
        for start in range(0, len(writes), COLLECTION_MAX):
            chunk = writes[start:start + COLLECTION_MAX]
            records = [{"attributes": {"type": obj}, "id": rid, **{self.api_name(k): v for k, v in ch.items()}}
                       for obj, rid, ch in chunk]
            body = {"allOrNone": False, "records": records}
            results = self._call(partial(_collections, body=body))
            for result in results or []:
                errs = result.get("errors") or []
                if any(e.get("statusCode") in REFRESH_CODES for e in errs):
                    self.forget_metadata()
                outcomes.append(None if result.get("success") else
                                "; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in errs) or "failed")
        return outcomes

    def session_owner(self, session_id: str) -> SessionOwner | None:
        """The org and user of a Salesforce session (an Outbound Message's SessionId), or None when
        Salesforce does not accept the session. Asked of the configured instance only, never of a URL in
        a message."""
        return userinfo_owner(self._session, base=self._base, session_id=session_id)

    def field_metadata(self, obj: str) -> dict[str, FieldMeta]:
        """The object's fields (local names) from ``describe``: read once, kept until an INVALID_FIELD."""
        cached = self._metadata.get(obj)
        if cached is None:
            described = self._call(lambda sf: getattr(sf, obj).describe())
            cached = {self.local_name(f["name"]): field_meta(f) for f in described.get("fields") or []}
            self._metadata[obj] = cached
        return cached

    def forget_metadata(self) -> None:
        self._metadata.clear()

    # -- names with the managed-package namespace -----------------------------------------------------

    def api_name(self, field: str) -> str:
        if self._namespace and field.endswith("__c") and field.count("__") == 1:
            return f"{self._namespace}__{field}"
        return field

    def local_name(self, field: str) -> str:
        prefix = f"{self._namespace}__" if self._namespace else ""
        return field[len(prefix):] if prefix and field.startswith(prefix) else field

    # -- plumbing -------------------------------------------------------------------------------------

    def _client(self, *, fresh: bool = False) -> Salesforce:
        with self._lock:
            if self._sf is None or fresh:
                self._sf = self._login()
            return self._sf

    def _login(self) -> Salesforce:
        sf, self.user_id = log_in(self._session, base=self._base, settings=self._settings)
        return sf

    def _call(self, action: Callable[[Salesforce], Any]) -> Any:
        for fresh in (False, True):
            try:
                return action(self._client(fresh=fresh))
            except SalesforceExpiredSession:
                if fresh:
                    raise errors.UpstreamAuthError("Salesforce rejected a fresh session", service=SERVICE,
                                                   upstream_status=401) from None
                log.info("salesforce.session.refresh")
            except SalesforceError as exc:
                content: Any = exc.content if isinstance(exc.content, list) else []
                if REFRESH_CODES & {str(e.get("errorCode")) for e in content if isinstance(e, dict)}:
                    self.forget_metadata()
                raise _translate(exc) from None
            except requests.Timeout:
                raise errors.UpstreamUnavailable("Salesforce did not answer in time", service=SERVICE) from None
            except requests.RequestException:
                raise errors.UpstreamUnavailable("cannot reach Salesforce", service=SERVICE) from None
        raise AssertionError("unreachable")

    def _read_usage(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        observe_response(SERVICE, response.status_code, response.elapsed.total_seconds())
        match = _LIMIT_INFO.search(response.headers.get("Sforce-Limit-Info", ""))
        if match:
            self.usage = Usage(int(match[1]), int(match[2]))


def field_meta(described: dict) -> FieldMeta:
    """One ``describe`` field as neutral write metadata (reference §1.5: ``sf.Contact.describe()``)."""
    kind = KINDS.get(str(described.get("type")), "other")
    precision, scale = int(described.get("precision") or 0), int(described.get("scale") or 0)
    if described.get("type") in ("int", "long"):
        precision, scale = int(described.get("digits") or 0), 0
    choices = tuple((str(v.get("value")), str(v.get("label") or v.get("value")))
                    for v in described.get("picklistValues") or [] if v.get("active", True))
    return FieldMeta(name=str(described.get("name")), kind=kind, length=int(described.get("length") or 0),
                     precision=precision, scale=scale, choices=choices,
                     restricted=bool(described.get("restrictedPicklist")),
                     updateable=bool(described.get("updateable", True)))


def _query_all(sf: Salesforce, *, soql: str) -> Any:
    return sf.query_all(soql)


def _collections(sf: Salesforce, *, body: dict) -> Any:
    return sf.restful("composite/sobjects", method="PATCH", json=body)


def _translate(exc: SalesforceError) -> errors.UpstreamError:
    content: list = exc.content if isinstance(exc.content, list) else []
    first = content[0] if content and isinstance(content[0], dict) else {}
    code, message = str(first.get("errorCode", "")), str(first.get("message", ""))[:200]
    fields = ",".join(first.get("fields") or [])
    text = f"Salesforce {code or exc.status}: {message}" + (f" (fields: {fields})" if fields else "")
    if isinstance(exc, SalesforceRefusedRequest) and code == "REQUEST_LIMIT_EXCEEDED":
        pause = CONCURRENT_PAUSE_S if "Concurrent" in message else LIMIT_PAUSE_S
        return errors.UpstreamRateLimited(text, service=SERVICE, upstream_status=403, retry_after=pause)
    if isinstance(exc, SalesforceMalformedRequest) and code == "UNABLE_TO_LOCK_ROW":
        return errors.UpstreamConflict(text, service=SERVICE, upstream_status=400)
    if isinstance(exc, SalesforceResourceNotFound):
        return errors.UpstreamError(text, service=SERVICE, upstream_status=404, code="upstream_not_found")
    if exc.status >= 500:
        return errors.UpstreamUnavailable(text, service=SERVICE, upstream_status=exc.status)
    return errors.UpstreamError(text, service=SERVICE, upstream_status=exc.status)
