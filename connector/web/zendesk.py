"""Zendesk: signed webhooks (enqueue and acknowledge) and the ZAF sidebar (signed-URL JWT)."""
from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime, timezone

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from itsdangerous import BadSignature, SignatureExpired
from marshmallow import ValidationError

from connector import errors
from connector.runtime import Runtime
from connector.schemas.zendesk import ZendeskEvent, parse_event
from connector.services.enrichment import record_key
from connector.services.preview import Previews
from connector.services.sidebar import SidebarContext
from connector.web.api import require_api_key
from connector.web.verify import check_zaf_token, check_zendesk_webhook, installation_id

log = logging.getLogger(__name__)
bp = Blueprint("zendesk", __name__)

SESSION_MAX_AGE_S = 900
WEBHOOK_MAX_BYTES = 64 * 1024
HANDLED_EVENTS = {"ticket_created"}
IGNORED_EVENTS = {"ticket.comment_added", "ticket.status_changed", "ticket.tags_changed",
                  "ticket.custom_field_changed", "ticket.priority_changed", "ticket.subject_changed",
                  "ticket.agent_assignment_changed", "ticket.group_assignment_changed", "ticket_updated"}


def runtime() -> Runtime:
    return current_app.extensions["connector"]


@bp.post("/zendesk/webhooks")
def webhooks():
    """Verify on the raw bytes, parse, dispatch, durably enqueue, answer 202."""
    if (request.content_length or 0) > WEBHOOK_MAX_BYTES:
        raise errors.PayloadTooLarge(f"webhook bodies are at most {WEBHOOK_MAX_BYTES} bytes")
    raw = request.get_data(cache=True)
    secret = runtime().zendesk_webhook_secret()
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
    if _caused_by_us(event):
        log.info("zendesk.webhook.own_update_ignored")
        return Response(status=204)
    delivery = request.headers.get("X-Zendesk-Webhook-Invocation-Id") or event.event_id or (
        f"{request.headers.get('X-Zendesk-Webhook-Id', '')}:{event.ticket_id}:{event.kind}")
    status = _accept(f"zendesk:{delivery}", event.ticket_id)
    return jsonify(status=status), 200 if status == "duplicate" else 202


def _caused_by_us(event: ZendeskEvent) -> bool:
    zendesk = runtime().zendesk
    if event.actor_id is None or zendesk is None:
        return False
    try:
        return event.actor_id == zendesk.me()
    except errors.UpstreamError:
        return False  # enrichment is idempotent: processing our own update once more writes nothing


def _accept(delivery_key: str, ticket_id: int | None, *, rerun: bool = False) -> str:
    key = record_key("zendesk", "ticket", ticket_id)
    status = runtime().accept(delivery_key=delivery_key, record_key=key, provider="zendesk", rerun=rerun)
    log.info("zendesk.webhook.accepted", extra={"status": status})
    return status


@bp.post("/zendesk/sidebar")
def sidebar():
    """First load from Zendesk: verify the signed-URL JWT, hand the page a short-lived session."""
    rt = runtime()
    token = request.form.get("token")
    if not token:
        raise errors.AuthError("the sidebar must be loaded by Zendesk with a signed URL (no token)")
    if not rt.settings.zendesk_url:
        raise errors.ConfigError("Zendesk is not configured (CONNECTOR_ZENDESK_URL…)")
    claims = check_zaf_token(token, public_key=rt.zaf_public_key(), zendesk_url=rt.settings.zendesk_url)
    location = (claims.get("context") or {}).get("location") or "ticket_sidebar"
    session = rt.sessions().dumps({"sub": claims.get("sub"), "inst": installation_id(claims), "loc": location})
    response = Response(render_template(
        "zendesk/sidebar.html", session=session, location=location,
        card_url=url_for("zendesk.sidebar_card"), enrich_url=url_for("zendesk.sidebar_enrich"),
        preview_url=url_for("zendesk.sidebar_preview")))
    return _secure_page(response)


@bp.post("/zendesk/sidebar/card")
def sidebar_card():
    session = _session()
    body = request.get_json(silent=True) or {}
    context = SidebarContext(ticket_id=_int(body.get("ticket_id")), user_id=_int(body.get("user_id")),
                             requester=body.get("requester") if isinstance(body.get("requester"), dict) else None)
    card = runtime().sidebar.card(context, refresh=bool(body.get("refresh")))
    can_write = session["loc"] == "ticket_sidebar" and context.ticket_id is not None and card.writable
    return _secure_page(Response(render_template("card.html", card=card.to_dict(), can_write=can_write, actions=True,
                                                 ticket_id=context.ticket_id)))


@bp.post("/zendesk/sidebar/enrich")
def sidebar_enrich():
    """Queue a write-back: from the page's session, or through the Zendesk proxy with an API key."""
    if request.headers.get("X-API-Key"):
        require_api_key()
    else:
        _session()
    body = request.get_json(silent=True) or {}
    ticket_id = _int(body.get("ticket_id"))
    if ticket_id is None:
        raise errors.PayloadError("ticket_id is required", code="missing_parameter")
    if body.get("plan_token") is not None:
        return apply_reviewed(ticket_id, body["plan_token"])
    status = _accept(f"zendesk:sidebar:{ticket_id}:{secrets.token_hex(8)}", ticket_id, rerun=True)
    return jsonify(status=status), 202


@bp.post("/zendesk/sidebar/preview")
def sidebar_preview():
    """The diff "Write to ticket" would make, to review before confirming (nothing is written)."""
    _authorize_ticket_write()
    ticket_id = _int((request.get_json(silent=True) or {}).get("ticket_id"))
    if ticket_id is None:
        raise errors.PayloadError("ticket_id is required", code="missing_parameter")
    preview = _previews().preview(record_key("zendesk", "ticket", ticket_id))
    return _no_store(jsonify(preview.to_dict() | {"html": render_template("zendesk/review.html", preview=preview)}))


def apply_reviewed(ticket_id: int, token: object):
    """Confirmed write: exactly the reviewed diff, or 409 with the new diff if the plan changed since."""
    if not isinstance(token, str) or not token:
        raise errors.PayloadError("plan_token must be the string the preview returned", code="invalid_plan_token")
    applied = _previews().apply(record_key("zendesk", "ticket", ticket_id), token)
    body = applied.preview.to_dict() | {"html": render_template("zendesk/review.html", preview=applied.preview,
                                                                changed=applied.status == "changed")}
    if applied.status == "changed":
        body |= {"error": "plan_changed", "message": "the profile or the ticket changed since the review: "
                                                     "check the new changes"}
        return _no_store(jsonify(body)), 409
    return _no_store(jsonify(body | {"status": applied.status}))


def _authorize_ticket_write() -> None:
    """Who may preview a ticket write: whoever may write it (the enrich endpoint's rule)."""
    if request.headers.get("X-API-Key"):
        require_api_key()
    else:
        _session()


def _previews() -> Previews:
    rt = runtime()
    rt.sessions()  # the plan token is signed with the session secret: refuse clearly without one
    return Previews(enrichment=rt.enrichment, secret=str(rt.settings.session_secret))


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _session() -> dict:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise errors.AuthError("missing sidebar session")
    try:
        return runtime().sessions().loads(header[7:], max_age=SESSION_MAX_AGE_S)
    except SignatureExpired:
        raise errors.AuthError("the sidebar session has expired: reload the app", code="session_expired") from None
    except BadSignature:
        raise errors.AuthError("invalid sidebar session") from None


def _int(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise errors.PayloadError(f"expected a numeric id, got {value!r}", code="invalid_id") from None


def _secure_page(response: Response) -> Response:
    zendesk = runtime().settings.zendesk_url or ""
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self' https://static.zdassets.com; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; frame-ancestors 'self' https://*.zendesk.com {zendesk}".strip())
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
