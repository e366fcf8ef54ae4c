"""Zendesk: signed webhooks (enqueue and acknowledge) and the ZAF sidebar (signed-URL JWT)."""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from itsdangerous import BadSignature, SignatureExpired
from marshmallow import ValidationError

from connector import errors
from connector.core.lang import Lang
from connector.core.preview import well_formed
from connector.runtime import Runtime
from connector.schemas.zendesk import parse_event
from connector.services.preview import Previews
from connector.services.zendesk import ZendeskService
from connector.services.zendesk.sidebar import LOCATION_RECORDS, SidebarRecord, SidebarSession
from connector.web.api import require_api_key
from connector.web.body import json_object, read_capped
from connector.web.i18n import agent_lang, request_lang, script_messages
from connector.web.verify import (
    check_zaf_token,
    check_zendesk_webhook,
    delivery_digest,
    installation_id,
    zaf_agent_id,
)
from connector.web.zendesk_openapi import OPENAPI_PATHS, OPENAPI_SECURITY

log = logging.getLogger(__name__)
bp = Blueprint("zendesk", __name__)
bp.delivery_endpoints = ("webhooks",)  # type: ignore[attr-defined]  # counted as CRM deliveries
bp.openapi_paths, bp.openapi_security = OPENAPI_PATHS, OPENAPI_SECURITY  # type: ignore[attr-defined]

SESSION_MAX_AGE_S = 900
ZAF_TOKEN_MAX = 8 * 1024
ENRICH_WINDOW_S = 60  # "Write to ticket" by one agent for one ticket: once in (at least) this long
DELIVERY_ID_MAX = 150
MAX_ID = 2**63 - 1
WEBHOOK_MAX_BYTES = 64 * 1024
HANDLED_EVENTS = {"ticket_created"}
IGNORED_EVENTS = {"ticket.comment_added", "ticket.status_changed", "ticket.tags_changed",
                  "ticket.custom_field_changed", "ticket.priority_changed", "ticket.subject_changed",
                  "ticket.agent_assignment_changed", "ticket.group_assignment_changed", "ticket_updated"}


def runtime() -> Runtime:
    return current_app.extensions["connector"]


def zendesk() -> ZendeskService:
    return runtime().provider("zendesk")


@bp.post("/zendesk/webhooks")
def webhooks():
    """Verify on the raw bytes, parse, dispatch, durably enqueue, answer 202."""
    raw = read_capped(WEBHOOK_MAX_BYTES, what="webhook")
    secret = zendesk().webhook_secret()
    if not secret:
        raise errors.ConnectorError("no Zendesk webhook secret is configured (CONNECTOR_ZENDESK_WEBHOOK_SECRET "
                                    "or `aep-connector zendesk install`)", code="not_configured")
    check_zendesk_webhook(secret=secret, body=raw, now=datetime.now(timezone.utc),
                          timestamp=request.headers.get("X-Zendesk-Webhook-Signature-Timestamp"),
                          signature=request.headers.get("X-Zendesk-Webhook-Signature"))
    if not raw.strip():
        raise errors.PayloadError("empty webhook body", code="empty_body")
    try:
        event = parse_event(json.loads(raw))
    except ValueError:
        raise errors.PayloadError("webhook body is not JSON (placeholders are not JSON-escaped: send ids only)",
                                  code="invalid_json") from None
    except ValidationError as exc:
        return jsonify(error="invalid_payload", message="webhook body does not match", details=exc.messages), 422
    if event.kind in IGNORED_EVENTS:
        return Response(status=204)
    if event.kind not in HANDLED_EVENTS:
        return jsonify(error="unsupported_event", message=f"event {event.kind!r} is not handled"), 422
    if zendesk().caused_by_us(event.actor_id):
        log.info("zendesk.webhook.own_update_ignored")
        return Response(status=204)
    delivery = request.headers.get("X-Zendesk-Webhook-Invocation-Id") or event.event_id or (
        f"{request.headers.get('X-Zendesk-Webhook-Id', '')}:{event.ticket_id}:{event.kind}")
    # The invocation id is not signed: a captured delivery replayed with a new one is caught by the
    # digest of what the signature covers; a retry Zendesk signs anew keeps its invocation id.
    signed = delivery_digest(signature=request.headers["X-Zendesk-Webhook-Signature"], body=raw,
                             timestamp=request.headers["X-Zendesk-Webhook-Signature-Timestamp"])
    status = _accept(f"zendesk:{_bounded(delivery)}", event.ticket_id, also_keys=(f"zendesk:signed:{signed}",))
    return jsonify(status=status), 200 if status == "duplicate" else 202


def _bounded(delivery: str) -> str:
    """Delivery ids come from headers: a long one is stored by its digest, never cut (or refused)."""
    if len(delivery) <= DELIVERY_ID_MAX:
        return delivery
    return "sha256:" + hashlib.sha256(delivery.encode("utf-8", "replace")).hexdigest()


def _accept(delivery_key: str, ticket_id: int | None, *, rerun: bool = False, also_keys: tuple[str, ...] = ()) -> str:
    key = runtime().record("zendesk", "ticket", ticket_id)
    status = runtime().accept(delivery_key=delivery_key, key=key, rerun=rerun, also_keys=also_keys)
    log.info("zendesk.webhook.accepted", extra={"status": status})
    return status


@bp.post("/zendesk/sidebar")
def sidebar():
    """First load from Zendesk: verify the signed-URL JWT, hand the page a short-lived session for
    this agent and location (bound to a record by its first card request)."""
    rt = runtime()
    token = request.form.get("token")
    if not token:
        raise errors.AuthError("the sidebar must be loaded by Zendesk with a signed URL (no token)")
    if not rt.settings.zendesk_url:
        raise errors.ConfigError("Zendesk is not configured (CONNECTOR_ZENDESK_URL…)")
    if token.count(".") != 2 or len(token) > ZAF_TOKEN_MAX:  # not a JWT: refused before the key is fetched
        raise errors.SignatureError("the app token is not a JWT")
    claims = check_zaf_token(token, public_key=zendesk().zaf_public_key(), zendesk_url=rt.settings.zendesk_url)
    agent_id = zaf_agent_id(claims, zendesk_url=rt.settings.zendesk_url)
    location = (claims.get("context") or {}).get("location") or "ticket_sidebar"
    session = rt.sessions().dumps({"sid": secrets.token_urlsafe(18), "sub": claims.get("sub"), "agent": agent_id,
                                   "inst": installation_id(claims), "loc": location})
    lang = request_lang()  # until the page asks ZAF for the agent's own locale
    response = Response(render_template(
        "zendesk/sidebar.html", session=session, location=location,
        card_url=url_for("zendesk.sidebar_card"), enrich_url=url_for("zendesk.sidebar_enrich"),
        lang=lang, _=lang._, messages=script_messages(), preview_url=url_for("zendesk.sidebar_preview")))
    return _secure_page(response)


@bp.post("/zendesk/sidebar/card")
def sidebar_card():
    """The card of the record's customer as Zendesk says; any identity in the body is ignored."""
    session = _session()
    body = json_object()
    record = _record(session, body)
    lang = agent_lang(body.get("locale"))  # ZAF currentUser.locale
    card = zendesk().sidebar.card(session, record, refresh=bool(body.get("refresh")), lang=lang)
    can_write = session.location == "ticket_sidebar" and card.writable
    return _secure_page(Response(render_template("card.html", card=card.to_dict(), can_write=can_write, actions=True,
                                                 ticket_id=record.id if record.kind == "ticket" else None,
                                                 lang=lang, _=lang._)))


@bp.post("/zendesk/sidebar/enrich")
def sidebar_enrich():
    """Queue a write-back: from the page's session, or through the Zendesk proxy with an API key."""
    if request.headers.get("X-API-Key"):
        require_api_key("write")  # the app's key, through the Zendesk proxy: queues, never reads a profile
        ticket_id = _ticket_id(json_object())
        runtime().take_key_write(request.headers["X-API-Key"])  # a leaked key queues a bounded number of jobs
        return _accept_windowed(ticket_id, who="key")
    session = _session()
    body = json_object()
    ticket_id = _ticket_id(body)
    reviewed = body.get("plan_token") is not None
    if reviewed and not well_formed(body["plan_token"]):  # refused before anything is read for it
        raise errors.PayloadError("plan_token must be the string the preview returned", code="invalid_plan_token")
    if reviewed:  # answered with a diff: paced and audited like a card
        zendesk().sidebar.review(session, SidebarRecord("ticket", ticket_id))
        return apply_reviewed(session, ticket_id, body["plan_token"], lang=agent_lang(body.get("locale")))
    zendesk().sidebar.writable_ticket(session, SidebarRecord("ticket", ticket_id))
    return _accept_windowed(ticket_id, who=f"agent:{session.agent_id}")


def _accept_windowed(ticket_id: int, *, who: str):
    # One write per caller and ticket a window: the keys of this window and the next are recorded, so a
    # repeat within ENRICH_WINDOW_S (up to twice that) is a duplicate, and a dead job is not re-run each click.
    window = int(time.time() // ENRICH_WINDOW_S)
    key = f"zendesk:sidebar:{ticket_id}:{who}:" + "{}"
    status = _accept(key.format(window), ticket_id, rerun=True, also_keys=(key.format(window + 1),))
    return jsonify(status=status), 200 if status == "duplicate" else 202


@bp.post("/zendesk/sidebar/preview")
def sidebar_preview():
    """The diff "Write to ticket" would make, to review before confirming (nothing is written). Only the
    page's session: the diff shows profile values, which the app's write-only key may not read."""
    session = _session()
    body = json_object()
    record = SidebarRecord("ticket", _ticket_id(body))
    zendesk().sidebar.review(session, record)
    preview = _previews().preview(record.job_key, session=session.session_id)
    zendesk().sidebar.reviewed(session, record, preview.card)
    lang = agent_lang(body.get("locale"))
    html = render_template("zendesk/review.html", preview=preview, lang=lang, _=lang._)
    return _no_store(jsonify(preview.to_dict() | {"html": html}))


def apply_reviewed(session: SidebarSession, ticket_id: int, token: object, *, lang: Lang):
    """Confirmed write: exactly the reviewed diff, or 409 with the new diff if the plan changed since."""
    if not isinstance(token, str) or not well_formed(token):
        raise errors.PayloadError("plan_token must be the string the preview returned", code="invalid_plan_token")
    record = SidebarRecord("ticket", ticket_id)
    applied = _previews().apply(record.job_key, token, session=session.session_id)
    zendesk().sidebar.reviewed(session, record, applied.preview.card)  # every answer shows the diff
    body = applied.preview.to_dict() | {"html": render_template("zendesk/review.html", preview=applied.preview,
                                                                changed=applied.status == "changed", lang=lang,
                                                                _=lang._)}
    if applied.status == "changed":
        body |= {"error": "plan_changed", "message": "the profile or the ticket changed since the review: "
                                                     "check the new changes"}
        return _no_store(jsonify(body)), 409
    return _no_store(jsonify(body | {"status": applied.status}))


def _previews() -> Previews:
    rt = runtime()
    rt.sessions()  # the plan token is signed with the session secret: refuse clearly without one
    return Previews(jobs=rt.jobs, secret=str(rt.settings.session_secret))


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _ticket_id(body: dict) -> int:
    ticket_id = _int(body.get("ticket_id"))
    if ticket_id is None:
        raise errors.PayloadError("ticket_id is required", code="missing_parameter")
    return ticket_id


def _record(session: SidebarSession, body: dict) -> SidebarRecord:
    kind = LOCATION_RECORDS.get(session.location)
    if kind is None:
        raise errors.Forbidden(f"the {session.location} location shows no card", code="wrong_location")
    record_id = _int(body.get(f"{kind}_id"))
    if record_id is None:
        raise errors.PayloadError(f"the {session.location} names its record by {kind}_id", code="missing_parameter")
    return SidebarRecord(kind, record_id)


def _session() -> SidebarSession:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise errors.AuthError("missing sidebar session")
    try:
        data = runtime().sessions().loads(header[7:], max_age=SESSION_MAX_AGE_S)
    except SignatureExpired:
        raise errors.AuthError("the sidebar session has expired: reload the app", code="session_expired") from None
    except BadSignature:
        raise errors.AuthError("invalid sidebar session") from None
    if not isinstance(data, dict) or not data.get("sid") or not isinstance(data.get("agent"), int):
        raise errors.AuthError("the sidebar session is from an older release: reload the app",
                               code="session_expired")
    return SidebarSession(session_id=str(data["sid"]), agent_id=data["agent"], location=str(data.get("loc")))


def _int(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise errors.PayloadError(f"expected a numeric id, got {str(value)[:40]!r}", code="invalid_id") from None
    if not 0 < number <= MAX_ID:  # Zendesk ids are positive 64-bit integers
        raise errors.PayloadError(f"expected a Zendesk id, got {str(value)[:40]!r}", code="invalid_id")
    return number


def _secure_page(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self' https://static.zdassets.com; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; frame-ancestors {_zendesk_origin()}")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _zendesk_origin() -> str:
    """Only the configured Zendesk account may frame the sidebar (not every *.zendesk.com)."""
    parts = urlsplit(runtime().settings.zendesk_url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "'none'"
