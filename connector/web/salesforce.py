"""Salesforce: Flow/Apex callouts (signed with the Named Credential's secret) → durable enqueue."""
from __future__ import annotations

import hmac
import json
import logging
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from marshmallow import ValidationError

from connector import errors
from connector.config import Settings
from connector.core.jobkey import JobKey
from connector.core.preview import well_formed
from connector.runtime import Runtime
from connector.schemas.salesforce import RECORD_ID_RE, CalloutSchema, OutboundMessage, parse_outbound
from connector.services.preview import Previews
from connector.services.salesforce import SalesforceService
from connector.services.salesforce.cards import SALESFORCE_PREFIXES
from connector.services.salesforce.outbound import OutboundGate
from connector.web.body import read_capped
from connector.web.i18n import agent_lang
from connector.web.salesforce_openapi import OPENAPI_PATHS, OPENAPI_SECURITY
from connector.web.salesforce_soap import ACK, fault, soap
from connector.web.verify import check_callout, check_canvas

log = logging.getLogger(__name__)
bp = Blueprint("salesforce", __name__)
bp.delivery_endpoints = ("events", "outbound")  # type: ignore[attr-defined]  # counted as CRM deliveries
bp.openapi_paths, bp.openapi_security = OPENAPI_PATHS, OPENAPI_SECURITY  # type: ignore[attr-defined]

CALLOUT_MAX_BYTES = 64 * 1024
OUTBOUND_MAX_BYTES = 512 * 1024  # 100 notifications of a few fields each stay far below
# My Domain host suffix → its Lightning and (enhanced-domain) Visualforce host suffixes.
MY_DOMAIN_SUFFIXES = ((".sandbox.my.salesforce.com", ".sandbox.lightning.force.com", ".sandbox.vf.force.com"),
                      (".develop.my.salesforce.com", ".develop.lightning.force.com", ".develop.vf.force.com"),
                      (".my.salesforce.com", ".lightning.force.com", ".vf.force.com"))


def runtime() -> Runtime:
    return current_app.extensions["connector"]


def salesforce() -> SalesforceService | None:
    return runtime().providers.get("salesforce")  # type: ignore[return-value]


def configured() -> SalesforceService:
    return runtime().provider("salesforce")


def _verify_callout() -> bytes:
    """Check the callout signature on the raw bytes; return them."""
    raw = read_capped(CALLOUT_MAX_BYTES, what="callout")
    secret = runtime().settings.salesforce_callout_secret
    if not secret:
        raise errors.ConnectorError("no CONNECTOR_SALESFORCE_CALLOUT_SECRET is configured", code="not_configured")
    query = request.query_string.decode("latin-1")  # bytes as sent: a non-UTF-8 query is signed as such
    target = request.path + (f"?{query}" if query else "")
    check_callout(secret=secret, method=request.method, path=target, body=raw,
                  timestamp=request.headers.get("X-Connector-Timestamp"),
                  signature=request.headers.get("X-Connector-Signature"), now=datetime.now(timezone.utc))
    return raw


@bp.post("/salesforce/events")
def events():
    """Verify, parse, drop our own changes, durably enqueue, answer 202 (Apex waits ≤10 s)."""
    raw = _verify_callout()
    try:
        event = CalloutSchema().load(json.loads(raw or b"null"))
    except ValueError:
        raise errors.PayloadError("callout body is not JSON", code="invalid_json") from None
    except ValidationError as exc:
        return jsonify(error="invalid_payload", message="callout body does not match", details=exc.messages), 422
    rt, service = runtime(), salesforce()
    if service is not None and event.changed_by and event.changed_by == service.own_user_id:
        log.info("salesforce.event.own_update_ignored")
        return "", 204
    key = rt.record("salesforce", event.object_type, event.record_id)
    delivery = event.event_id or f"{event.event}:{event.record_id}:{request.headers.get('X-Connector-Timestamp')}"
    status = rt.accept(delivery_key=f"salesforce:{delivery}", key=key, rerun=event.event != "case_created")
    return jsonify(status=status), 200 if status == "duplicate" else 202


def _vouched_by_transport() -> bool | None:
    """An alternative proof the operator configured: the endpoint secret of the Outbound Message URL
    (``?token=``, compared in constant time) or a header that the TLS proxy sets to SUCCESS once it
    has checked Salesforce's client certificate (and strips from every other request).

    None when neither is configured (the session is the proof); once one is configured it is required:
    a message that carries neither is refused before any call to Salesforce."""
    settings = runtime().settings
    token, header = settings.salesforce_outbound_token, settings.salesforce_outbound_client_cert_header
    if not token and header is None:
        return None
    if token and hmac.compare_digest(request.args.get("token", "").encode("utf-8", "replace"), token.encode("utf-8")):
        return True
    return header is not None and request.headers.get(header, "") == "SUCCESS"


def _session_fault(gate: OutboundGate, message: OutboundMessage, org_id: str) -> Response | None:
    """None when the message's SessionId is a session of ``org_id``; else the fault to answer."""
    if message.session_id is None:
        log.warning("salesforce.outbound.unauthenticated", extra={"reason": "no_session"})
        return fault(403, "Client", "unauthenticated: turn on Send Session ID (or configure the endpoint token)")
    try:
        belongs = gate.session_belongs_to(message.session_id, org_id,
                                          runtime().settings.salesforce_outbound_user_id)
    except errors.ConfigError as exc:
        return fault(500, "Server", exc.message)
    except errors.UpstreamError as exc:
        log.warning("salesforce.outbound.session_check_failed", extra={"reason": exc.code})
        return fault(503, "Server", "the session could not be verified now; send again")
    if not belongs:
        log.warning("salesforce.outbound.unauthenticated", extra={"reason": "session_refused"})
        return fault(403, "Client", "unauthenticated: the session is not valid for this organization")
    return None


@bp.post("/salesforce/outbound")
def outbound():
    """Outbound Message (SOAP): authenticated (session of our org, or a configured alternative),
    within the org's budget, and acknowledged only after every notification is durably queued (§3)."""
    rt, service = runtime(), salesforce()
    expected = rt.settings.salesforce_org_id
    if not expected:
        return fault(500, "Server", "no CONNECTOR_SALESFORCE_ORG_ID is configured")
    if service is None:
        return fault(500, "Server", "Salesforce is not configured (CONNECTOR_SALESFORCE_INSTANCE_URL…)")
    gate = service.outbound
    vouched = _vouched_by_transport()
    if vouched is False:  # authenticate before parsing: no call to Salesforce for what lacks the proof
        log.warning("salesforce.outbound.unauthenticated", extra={"reason": "transport"})
        return fault(403, "Client", "unauthenticated: the endpoint token or client certificate is missing or wrong")
    try:
        message = parse_outbound(read_capped(OUTBOUND_MAX_BYTES, what="Outbound Message"))
    except errors.PayloadTooLarge as exc:
        return fault(413, "Client", exc.message)
    except ValueError as exc:
        return fault(400, "Client", str(exc))
    if message.organization_id[:15] != expected[:15]:  # 15- and 18-character ids name the same org
        log.warning("salesforce.outbound.foreign_org")
        return fault(403, "Client", "messages from this organization are not accepted")
    if vouched is None and (refused := _session_fault(gate, message, expected)) is not None:
        return refused
    try:
        wait = gate.admit(len(message.notifications))
    except errors.UpstreamError:  # the shared budget (Redis) did not answer
        return fault(503, "Server", "the notification budget could not be checked now; send again")
    if wait is not None:
        log.warning("salesforce.outbound.budget_spent", extra={"notifications": len(message.notifications)})
        response = fault(503, "Server", "too many notifications this minute; send again later")
        response.headers["Retry-After"] = str(max(1, round(wait)))
        return response
    return _enqueue(rt, message)


def _enqueue(rt: Runtime, message: OutboundMessage) -> Response:
    service = salesforce()
    own = service.own_user_id if service is not None else None
    try:
        for note in message.notifications:
            if own and note.last_modified_by == own:
                continue  # the connector's own write fired this rule: no loop
            rt.accept(delivery_key=f"salesforce:om:{note.notification_id}",
                      key=rt.record("salesforce", note.object_type, note.record_id), rerun=True)
    except Exception:  # no Ack: Salesforce keeps the message and sends it again; accepted ones dedupe
        log.exception("salesforce.outbound.enqueue_failed")
        return fault(500, "Server", "the notifications could not be queued; send again")
    return soap(200, ACK)


@bp.post("/salesforce/canvas")
def canvas():
    """Canvas app (for orgs that prefer it to the LWC): verify the signed request, render the card."""
    rt = runtime()
    secret = rt.settings.salesforce_client_secret
    if not secret:
        raise errors.ConnectorError("no CONNECTOR_SALESFORCE_CLIENT_SECRET (the canvas app's consumer secret)",
                                    code="not_configured")
    document = check_canvas(request.form.get("signed_request", ""), consumer_secret=secret,
                            now=datetime.now(timezone.utc))
    context = document.get("context") or {}
    org = str((context.get("organization") or {}).get("organizationId") or "")
    expected = rt.settings.salesforce_org_id or ""
    if not expected or org[:15] != expected[:15]:
        raise errors.AuthError("the signed request comes from another Salesforce org")
    environment = context.get("environment") or {}
    record = str((environment.get("parameters") or {}).get("recordId") or (environment.get("record") or {}).get("Id")
                 or "")
    if not RECORD_ID_RE.fullmatch(record):
        raise errors.PayloadError("the canvas app is not on a record page (no recordId)", code="invalid_id")
    lang = agent_lang((context.get("user") or {}).get("locale"))  # the Salesforce user's locale, e.g. fr_FR
    card = configured().cards.card(record, lang=lang)
    page = render_template("salesforce/canvas.html", card=card.to_dict(), lang=lang, _=lang._)
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = ("default-src 'self'; style-src 'self'; script-src 'none'; "
                                                   "frame-ancestors " + " ".join(frame_ancestors(rt.settings)))
    response.headers["Cache-Control"] = "no-store"
    return response


def frame_ancestors(settings: Settings) -> list[str]:
    """The origins that may frame the Canvas page: the configured My Domain and its Lightning and
    Visualforce counterparts (Lightning pages frame Canvas apps, reference §5.1 ``locationUrl``);
    any other instance URL (a legacy pod, an emulator) only as configured. No wildcards."""
    parts = urlsplit(str(settings.salesforce_instance_url or ""))
    if not parts.hostname:
        return ["'none'"]
    own = f"{parts.scheme}://{parts.netloc}"
    host = parts.hostname
    for suffix, lightning, visualforce in MY_DOMAIN_SUFFIXES:
        if host.endswith(suffix) and host != suffix.lstrip("."):
            name = host[: -len(suffix)]
            return [own, f"https://{name}{lightning}", f"https://{name}--c{visualforce}"]
    return [own]


@bp.get("/salesforce/profile")
def profile():
    """The card JSON for the Lightning component (Apex calls this through the Named Credential)."""
    _verify_callout()
    record = request.args.get("recordId", "")
    if not RECORD_ID_RE.fullmatch(record):
        raise errors.PayloadError("recordId must be a 15- or 18-character Salesforce id", code="invalid_id")
    lang = agent_lang(request.args.get("locale"))  # the LWC's @salesforce/i18n/locale, signed with the query
    card = configured().cards.card(record, lang=lang)
    response = jsonify(card.to_dict())
    response.headers["Content-Language"] = lang.locale.replace("_", "-")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/salesforce/preview")
def preview():
    """The diff "Update record" would write, for the agent to confirm (Apex signs the callout)."""
    record = _record_from(_verify_callout())
    result = _previews().preview(_record_key(record))
    response = jsonify(result.to_dict())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/salesforce/apply")
def apply():
    """Write exactly the confirmed diff; 409 with the new diff when the plan changed since the preview."""
    raw = _verify_callout()
    key = _record_key(_record_from(raw))
    token = json.loads(raw).get("planToken")
    if not well_formed(token):  # refused before anything is read for it
        raise errors.PayloadError("planToken must be the string the preview returned", code="invalid_plan_token")
    applied = _previews().apply(key, token)
    body = applied.preview.to_dict()
    if applied.status == "changed":
        return jsonify(body | {"error": "plan_changed", "message": "the profile or the record changed since the "
                                                                   "review: check the new changes"}), 409
    return jsonify(body | {"status": applied.status})


def _record_from(raw: bytes) -> str:
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        raise errors.PayloadError("callout body is not JSON", code="invalid_json") from None
    record = str((body or {}).get("recordId") or "") if isinstance(body, dict) else ""
    if not RECORD_ID_RE.fullmatch(record):
        raise errors.PayloadError("recordId must be a 15- or 18-character Salesforce id", code="invalid_id")
    return record


def _record_key(record: str) -> JobKey:
    obj = SALESFORCE_PREFIXES.get(record[:3])
    if obj is None:
        raise errors.PayloadError("only Contact, Lead and Case records are enriched", code="unsupported_record")
    return runtime().record("salesforce", obj, record)


def _previews() -> Previews:
    return Previews(jobs=runtime().jobs, secret=str(runtime().settings.salesforce_callout_secret))
