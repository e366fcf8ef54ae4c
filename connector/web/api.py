"""Lookup API and health endpoints."""
from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from connector import errors
from connector.i18n import best
from connector.metrics import JOBS, OLDEST_PENDING, QUEUE_DEPTH
from connector.runtime import Runtime
from connector.web.errors import error_response

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__)

CARD_STATUS = {
    "found": None,
    "not_found": errors.NotFound("no AEP profile matches this identity", code="profile_not_found"),
    "not_servable": errors.ProfileNotServable("AEP does not serve this profile (identity graph above 50 "
                                              "identities)", service="AEP"),
}


def runtime() -> Runtime:
    return current_app.extensions["connector"]


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/metrics")
def metrics():
    """Prometheus text format; bind the port privately in production (it is unauthenticated)."""
    rt = runtime()
    try:
        QUEUE_DEPTH.set(rt.queue.pending())
        counts, oldest = rt.store.job_counts()
        for status in ("pending", "running", "done", "dead"):
            JOBS.labels(status=status).set(counts.get(status, 0))
        OLDEST_PENDING.set(oldest)
    except Exception:  # metrics must answer even when the queue or database does not
        log.warning("web.metrics.state_unavailable")
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


@bp.get("/readyz")
def readyz():
    rt = runtime()
    checks = {"manifest": "ok"}
    for name, probe in (("database", rt.store.ping), ("queue", rt.queue.pending), ("aep_token", rt.aep.auth.token)):
        try:
            probe()
            checks[name] = "ok"
        except errors.ConnectorError as exc:
            checks[name] = exc.code
        except Exception:  # a driver error from the database or queue: not ready, whatever it is
            log.warning("web.readyz.failed", extra={"check": name})
            checks[name] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not_ready", checks=checks), 200 if ready else 503


@bp.get("/api/v1/profiles")
def profile():
    require_api_key()
    namespace, value = request.args.get("namespace", "").strip(), request.args.get("id", "")
    if not namespace or not value.strip():
        raise errors.PayloadError("query parameters 'namespace' and 'id' are both required", code="missing_parameter")
    refresh = request.args.get("refresh", "").lower() in {"1", "true", "yes"}
    lang = best([tag for tag, _quality in request.accept_languages])  # best first; none known: English
    card = runtime().lookup.by_identity(namespace, value, refresh=refresh, lang=lang)
    problem = CARD_STATUS[card.status]
    if problem is not None:
        response = error_response(problem, card=card.to_dict())
    else:
        response = jsonify(card.to_dict())
        response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = lang.locale.replace("_", "-")
    response.vary.add("Accept-Language")
    return response


def require_api_key() -> None:
    keys = runtime().settings.api_keys
    given = request.headers.get("X-API-Key", "")
    if not keys:
        raise errors.AuthError("the lookup API is off: no CONNECTOR_API_KEYS are configured")
    if not given or not any(hmac.compare_digest(given.encode(), k.encode()) for k in keys):
        raise errors.AuthError("missing or unknown X-API-Key")
