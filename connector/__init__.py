"""aep-crm-connector: the AEP Real-Time Customer Profile for agents in Zendesk and Salesforce."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from connector.config import Settings
    from connector.runtime import Runtime


def create_app(settings: "Settings | None" = None, *, runtime: "Runtime | None" = None) -> "Flask":
    """The application factory: settings from the environment unless given."""
    from connector.web import build_app

    return build_app(settings=settings, runtime=runtime)
