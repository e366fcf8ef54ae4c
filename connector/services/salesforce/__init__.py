"""Salesforce, configured: enrichment of Cases, Contacts and Leads, the record page's card, the
Outbound Message gate, privacy clean-up and ``check`` lines — the provider's side of the shared use-cases."""
from __future__ import annotations

import logging

from connector import errors
from connector.core.jobkey import JobKey
from connector.core.writecheck import rule_problems
from connector.core.writeplan import same
from connector.providers import Echo, Shared
from connector.services.drafts import Draft
from connector.services.salesforce.cards import SalesforceCards
from connector.services.salesforce.outbound import OutboundGate
from connector.services.salesforce.records import Records, SalesforcePort

log = logging.getLogger(__name__)


class SalesforceService:
    name = "salesforce"

    def __init__(self, shared: Shared, *, client: SalesforcePort, outbound: OutboundGate) -> None:
        self.shared = shared
        self.client = client
        self.outbound = outbound
        self.records = Records(salesforce=client, spec=shared.manifest.writeback.get(self.name), lookup=shared.lookup,
                               ledger=shared.ledger, lang=shared.lang, api_share=shared.settings.salesforce_api_share)
        self.cards = SalesforceCards(lookup=shared.lookup, salesforce=client)

    @property
    def own_user_id(self) -> str | None:
        """The integration user (known once authenticated): its own writes fire no enrichment."""
        return getattr(self.client, "user_id", None)

    def start(self) -> None:
        return None  # the integration user is known from the token response; nothing to fetch ahead

    def reserve(self) -> None:
        self.records.check_budget()

    def draft(self, key: JobKey, *, note_written: bool | None = None) -> Draft:
        return self.records.draft(key)

    def write(self, draft: Draft) -> tuple[str, bool]:
        return self.records.write(draft)

    def backfill(self, obj: str, *, limit: int) -> dict[str, int]:
        return self.records.backfill(obj, limit=limit)

    def clear(self, key: JobKey, written: dict[str, str | None]) -> tuple[list[str], list[str]]:
        prefix = f"{key.object}."
        names = [t.removeprefix(prefix) for t in written if t.startswith(prefix) and not t.endswith(".*")]
        current = self.client.get(key.object, key.id, ["Id", *names])
        clear = [n for n in names if same(current.get(n), written[prefix + n])]
        if clear:
            self.client.update(key.object, key.id, dict.fromkeys(clear))
        kept = [f"{key}/{prefix}{n}" for n in names if n not in clear]
        return [f"{key}/{prefix}{n}" for n in clear], kept

    def check(self, echo: Echo) -> int:
        """The manifest's write-back against the org's describe: one line per problem, naming the rule."""
        spec = self.shared.manifest.writeback.get(self.name)
        if spec is None:
            return 0
        failures = 0
        for obj in spec.objects():
            rules = spec.only(obj).rules
            try:
                fields = self.client.field_metadata(obj)
            except errors.ConnectorError as exc:
                echo(f"FAIL writeback.salesforce {obj}.*: {exc.message}")
                failures += 1
                continue
            problems = [(rule, problem) for rule in rules
                        for problem in rule_problems(self.shared.manifest, rule, fields, crm="Salesforce")]
            for rule, problem in problems:
                echo(f"FAIL writeback.salesforce {rule.target} ({rule.value}): {problem}")
            failures += len(problems)
            if not problems:
                echo(f"ok   writeback.salesforce {obj}: {len(rules)} field(s) exist, are updateable and fit "
                     "their values")
        return failures

    def close(self) -> None:
        return None
