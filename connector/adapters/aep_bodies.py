"""AEP response bodies read into core models, and the refusals they describe (reference/aep.md §2, §4, §11).

Pure functions over ``requests`` responses and decoded JSON: no call leaves this module.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests

from connector import errors
from connector.adapters.http import describe_body, error_from_response
from connector.core.lang import N_
from connector.core.models import Event, Profile
from connector.core.timeparse import parse_timestamp

SERVICE = "AEP"
TOO_MANY_IDENTITIES = "too many related identities"


def json_body(response: requests.Response, expect: type = dict) -> Any:
    if not response.content.strip():
        return expect()  # an empty 200 means "nothing" (§11.3)
    try:
        body = response.json()
    except ValueError:
        raise errors.UpstreamError(f"AEP answered HTTP {response.status_code} with a body that is not JSON",
                                   service=SERVICE, upstream_status=response.status_code) from None
    if body is None:
        return expect()
    if not isinstance(body, expect):
        raise errors.UpstreamError("AEP answered with an unexpected JSON shape", service=SERVICE,
                                   upstream_status=response.status_code)
    return body


def profiles_from(body: dict) -> list[Profile]:
    """Profiles of a map keyed by merged entity id, skipping empty entities and extra keys (§2.2–2.3)."""
    found = []
    for key, item in body.items():
        if not isinstance(item, dict) or not isinstance(item.get("entity"), dict) or not item["entity"]:
            continue
        sources = tuple(str(s) for s in item.get("sources") or () if s)
        found.append(Profile(str(item.get("entityId") or key), item["entity"],
                             parse_timestamp(item.get("lastModifiedAt")), sources))
    return found


def events_from(body: dict) -> list[Event]:
    out = []
    for child in body.get("children") or []:
        if not isinstance(child, dict):
            continue
        entity: dict = child["entity"] if isinstance(child.get("entity"), dict) else {}
        when = parse_timestamp(child.get("timestamp")) or parse_timestamp(entity.get("timestamp"))
        out.append(Event(str(child.get("entityId") or entity.get("_id") or ""), when,
                         entity.get("eventType"), entity))
    return out


def fields_param(fields: Iterable[str]) -> str:
    return ",".join(f.strip() for f in fields if f.strip())  # no spaces (§2.1)


def unprocessable(response: requests.Response) -> errors.UpstreamError:
    """A 422: the identity-graph guardrail (§11) or the plain error."""
    error = error_from_response(response, service=SERVICE)
    if TOO_MANY_IDENTITIES in response.text.lower():
        return errors.ProfileNotServable(
            N_("AEP does not serve this profile: its identity graph is above the 50-identity guardrail"),
            service=SERVICE, upstream_status=422)
    return error


def names_namespace(response: requests.Response) -> bool:
    """A refusal that is about the identity namespace (§4: a code the sandbox does not define).

    AEP documents no body for it (§2.7), so any 4xx whose error text names the namespace counts;
    a plain 404 "profile not found" does not.
    """
    return "namespace" in describe_body(response).lower()


def namespace_unknown(namespace: str, response: requests.Response) -> errors.NamespaceUnknown:
    return errors.NamespaceUnknown(f"AEP does not know the identity namespace {namespace} in this sandbox",
                                   service=SERVICE, upstream_status=response.status_code)
