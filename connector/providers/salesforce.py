"""Salesforce as a provider: settings section, manifest grammar, record keys, and how its layers are
wired (web/salesforce.py, services/salesforce/, adapters/salesforce.py, schemas/salesforce.py,
sandbox/salesforce)."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connector.core import targets
from connector.core.jobkey import JobKey
from connector.core.targets import Target
from connector.schemas.salesforce import KEY_PREFIXES, RECORD_ID_RE

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from connector.config import Settings
    from connector.providers import Echo, Shared
    from connector.services.salesforce import SalesforceService

_FIELD = re.compile(r"([A-Z][A-Za-z]+)\.([A-Za-z0-9_]+)")
GRAMMAR = "<SObject>.<Field>, e.g. Contact.AEP_Lifetime_Value__c or Case.AEP_Churn_Risk__c"
RECORD_OBJECT = "Case"  # the record an event is about; Contact and Lead are the person behind it
OBJECTS = tuple(KEY_PREFIXES)  # the records enriched: Case, Contact, Lead


@dataclass(frozen=True)
class SalesforceSettings:
    """CONNECTOR_SALESFORCE_<FIELD>."""

    instance_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    org_id: str | None = None
    callout_secret: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # with the security token appended
    private_key: str | None = field(default=None, repr=False)  # PEM text or file, for JWT bearer
    login_url: str = "https://login.salesforce.com"
    namespace: str = ""
    api_share: float = 0.8
    # Outbound Messages: a verified SessionId of the org is the default proof; these are the alternatives.
    outbound_token: str | None = field(default=None, repr=False)  # ?token= in the endpoint URL
    outbound_client_cert_header: str | None = None  # set to SUCCESS by a TLS proxy that checked mTLS
    outbound_user_id: str | None = None  # the Outbound Message's "user to send as": only its sessions
    outbound_per_minute: int = 300  # notifications accepted per org and minute

    def problems(self) -> list[tuple[str, str]]:
        from connector.settings_check import url_problem

        found = [(name, problem) for name in ("instance_url", "login_url")
                 if getattr(self, name) and (problem := url_problem(getattr(self, name)))]
        if not 0 < self.api_share <= 1:
            found.append(("api_share", "a share of the daily allocation, in (0, 1]"))
        if self.namespace and not self.namespace.isidentifier():
            found.append(("namespace", f"a namespace prefix such as 'aep', got {self.namespace!r}"))
        if self.outbound_per_minute < 1:
            found.append(("outbound_per_minute", "must be at least 1"))
        if self.outbound_token is not None and len(self.outbound_token) < 24:
            found.append(("outbound_token", "at least 24 random characters "
                                            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"))
        header = self.outbound_client_cert_header
        if header is not None and not re.fullmatch(r"[A-Za-z0-9-]{1,64}", header):
            found.append(("outbound_client_cert_header", f"an HTTP header name, got {header!r}"))
        return found


class SalesforceProvider:
    name = "salesforce"
    title = "Salesforce"
    settings = SalesforceSettings
    requires = ("instance_url",)
    note_wire = "note"  # no internal note on Salesforce records
    tags_wire = "tags"

    def parse_target(self, text: str) -> Target:
        found = _FIELD.fullmatch(text)
        if found is None:
            raise ValueError(GRAMMAR)
        obj, name = found[1], found[2]
        make = targets.record_field if obj == RECORD_OBJECT else targets.person_field
        return make(name, wire=text, object=obj)

    def parse_key(self, key: JobKey) -> JobKey:
        if key.object in OBJECTS and RECORD_ID_RE.fullmatch(key.id):
            return key
        raise ValueError(f"not a record: {key} (salesforce:<Case|Contact|Lead>:<15- or 18-character id>)")

    def configured(self, settings: Settings) -> bool:
        return bool(settings.salesforce_instance_url)

    def connect(self, shared: Shared) -> SalesforceService:
        from connector.adapters.ratelimit import Budget
        from connector.adapters.salesforce import SalesforceClient
        from connector.services.salesforce import SalesforceService
        from connector.services.salesforce.outbound import CHECKS_PER_MINUTE, OutboundGate

        s = shared.settings
        client = SalesforceClient(s)
        org = (s.salesforce_org_id or "")[:15]
        outbound = OutboundGate(owner_of=client.session_owner,
                                budget=Budget(name=f"Salesforce-outbound-{org}", window_s=60,
                                              redis_url=shared.redis_url, limit=s.salesforce_outbound_per_minute),
                                checks=Budget(name=f"Salesforce-session-checks-{org}", limit=CHECKS_PER_MINUTE,
                                              window_s=60, redis_url=shared.redis_url))
        return SalesforceService(shared, client=client, outbound=outbound)

    def blueprint(self) -> Blueprint:
        from connector.web.salesforce import bp

        return bp

    def commands(self) -> click.Group:
        from connector.providers.salesforce_cli import salesforce

        return salesforce

    def start_sandbox(self, settings: Settings) -> tuple[Any, dict[str, Any]]:
        from connector.sandbox.salesforce import SalesforceSandbox

        sandbox = SalesforceSandbox().start()
        overrides = sandbox.settings_overrides()
        if not settings.salesforce_callout_secret:
            overrides["salesforce_callout_secret"] = secrets.token_urlsafe(32)
        return sandbox, overrides

    def demo(self, connected: SalesforceService, *, runtime: Any, server_url: str, sandbox: Any, echo: Echo) -> None:
        from connector.providers.salesforce_demo import tour

        tour(runtime, base=server_url, sandbox=sandbox, echo=echo)


PROVIDER = SalesforceProvider()
