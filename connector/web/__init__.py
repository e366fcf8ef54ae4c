"""Flask blueprints: verify, parse, delegate, respond."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from flask import Flask, g, request

from connector.config import Settings, load_settings
from connector.logs import bind, unbind
from connector.metrics import DELIVERIES
from connector.providers import all_providers
from connector.runtime import Runtime, build_runtime
from connector.web import api, i18n
from connector.web.errors import register_error_handlers

MAX_BODY_BYTES = 1024 * 1024  # also waitress's max_request_body_size; handlers cap their bodies lower
MAX_HEADER_BYTES = 64 * 1024
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
DELIVERY_ENDPOINTS_ATTR = "delivery_endpoints"  # a provider blueprint's routes that receive CRM deliveries


def build_app(*, settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    if runtime is None:
        runtime = build_runtime(settings or load_settings())
    here = Path(__file__).resolve().parent
    app = Flask("connector", template_folder=str(here / "templates"), static_folder=str(here / "static"),
                static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]  # DefaultJSONProvider has it
    app.extensions["connector"] = runtime
    app.register_blueprint(api.bp)
    deliveries: set[str] = set()
    for provider in all_providers():
        blueprint = provider.blueprint()
        if blueprint is not None:
            app.register_blueprint(blueprint)
            deliveries.update(f"{blueprint.name}.{e}" for e in getattr(blueprint, DELIVERY_ENDPOINTS_ATTR, ()))
    runtime.start_providers()
    register_error_handlers(app)
    i18n.init_app(app)

    @app.before_request
    def request_id() -> None:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _SAFE_ID.fullmatch(given) else uuid.uuid4().hex
        g.log_token = bind(request_id=g.request_id)

    @app.after_request
    def count_deliveries(response):
        if request.endpoint in deliveries:
            DELIVERIES.labels(endpoint=request.endpoint, status=str(response.status_code)).inc()
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response

    @app.teardown_request
    def forget_request_id(_error: BaseException | None) -> None:
        token = g.pop("log_token", None)
        if token is not None:
            unbind(token)

    return app
