"""Lookup API and health endpoints."""
from __future__ import annotations

import hmac
import logging
import threading
import time

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from connector import errors
from connector.config import api_key_scopes
from connector.i18n import best
from connector.metrics import JOBS, OLDEST_PENDING, QUEUE_DEPTH
from connector.runtime import Runtime
from connector.web.errors import error_response
from connector.web.openapi import build_document

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
    """Prometheus text format; with CONNECTOR_METRICS_TOKEN set, only for ``Authorization: Bearer TOKEN``."""
    if not operator():
        raise errors.AuthError("metrics need the operator token (Authorization: Bearer CONNECTOR_METRICS_TOKEN)")
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
    checks = _readiness()
    ready = all(v == "ok" for v in checks.values())
    status = "ready" if ready else "not_ready"
    if not operator():  # the probe needs the status code only; which dependency fails is for operators
        return jsonify(status=status), 200 if ready else 503
    return jsonify(status=status, checks=checks), 200 if ready else 503


READINESS_TTL_S = 5.0  # anonymous probes share one answer: no caller makes an IMS call each


def _readiness() -> dict[str, str]:
    """The checks, probed at most once per READINESS_TTL_S per application; concurrent probes wait
    for the one under way."""
    state = current_app.extensions.setdefault("connector.readiness", {"lock": threading.Lock(), "until": 0.0})
    with state["lock"]:
        if state["until"] <= time.monotonic():
            state["checks"] = _probe(runtime())
            state["until"] = time.monotonic() + READINESS_TTL_S
        return dict(state["checks"])


def _probe(rt: Runtime) -> dict[str, str]:
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
    return checks


def operator() -> bool:
    """Whether the request may see operational detail: no token configured, or the right one given."""
    token = runtime().settings.metrics_token
    if not token:
        return True
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@bp.get("/api/v1/openapi.json")
def openapi():
    """The OpenAPI 3 document of every route (public: it describes the contract, holds no secret)."""
    return jsonify(build_document())


@bp.get("/api/v1/profiles")
def profile():
    require_api_key("lookup")
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


def require_api_key(scope: str = "lookup") -> None:
    """The X-API-Key must be a configured key holding ``scope`` (401 unknown key, 403 other scope)."""
    keys = api_key_scopes(runtime().settings.api_keys)
    given = request.headers.get("X-API-Key", "").encode()
    if not keys:
        raise errors.AuthError("the API is off: no CONNECTOR_API_KEYS are configured")
    scopes: frozenset[str] = frozenset()
    known = False
    for key, key_scopes in keys:  # every key compared, in constant time: no early exit on a match
        if hmac.compare_digest(given, key.encode()):
            known, scopes = True, scopes | key_scopes
    if not given or not known:
        raise errors.AuthError("missing or unknown X-API-Key")
    if scope not in scopes:
        raise errors.ScopeError(f"this API key does not hold the {scope!r} scope")
