"""The Zendesk calls of ``aep-connector zendesk install``: the webhook, its signing secret and the triggers."""
from __future__ import annotations

from connector import errors
from connector.adapters.zendesk_transport import SERVICE, ZendeskTransport

WEBHOOKS_URL = "/api/v2/webhooks"
WEBHOOK_PAGES_MAX = 20  # 2,000 webhooks; beyond that install refuses rather than risk a duplicate
WEBHOOK_URL = "/api/v2/webhooks/{id}"
SIGNING_SECRET_URL = "/api/v2/webhooks/{id}/signing_secret"
TRIGGERS_URL = "/api/v2/triggers.json"
TRIGGER_URL = "/api/v2/triggers/{id}.json"
TRIGGER_CATEGORIES_URL = "/api/v2/trigger_categories"


class ZendeskInstallCalls(ZendeskTransport):
    """What ``install`` reads and writes; ``ZendeskClient`` carries these calls with the rest."""

    def list_webhooks(self) -> list[dict]:
        """Every webhook of the account, over cursor pages of 100 (§1.1): ``install`` must see a webhook
        on any page, or it would create a second one."""
        hooks: list[dict] = []
        params: dict[str, str] = {"page[size]": "100"}
        for _ in range(WEBHOOK_PAGES_MAX):
            body = self._get(WEBHOOKS_URL, params=dict(params))
            hooks.extend(body.get("webhooks") or [])
            meta = body.get("meta") or {}
            if not meta.get("has_more") or not meta.get("after_cursor"):
                return hooks
            params["page[after]"] = str(meta["after_cursor"])
        raise errors.UpstreamError(f"Zendesk lists more than {WEBHOOK_PAGES_MAX * 100} webhooks; "
                                   "refusing to guess whether the connector's is among them", service=SERVICE)

    def create_webhook(self, webhook: dict) -> dict:
        return self._json("POST", WEBHOOKS_URL, {"webhook": webhook})["webhook"]

    def update_webhook(self, webhook_id: str, webhook: dict) -> None:
        self._send("PUT", WEBHOOK_URL.format(id=webhook_id), json={"webhook": webhook})

    def signing_secret(self, webhook_id: str) -> str:
        return self._get(SIGNING_SECRET_URL.format(id=webhook_id))["signing_secret"]["secret"]

    def list_triggers(self) -> list[dict]:
        return self._get(TRIGGERS_URL).get("triggers") or []

    def create_trigger(self, trigger: dict) -> dict:
        return self._json("POST", TRIGGERS_URL, {"trigger": trigger})["trigger"]

    def list_trigger_categories(self) -> list[dict]:
        """Trigger categories; an account without the feature answers 403/404, which means none."""
        try:
            return self._get(TRIGGER_CATEGORIES_URL).get("trigger_categories") or []
        except errors.UpstreamError as exc:
            if exc.upstream_status in (403, 404):
                return []
            raise

    def update_trigger(self, trigger_id: int, trigger: dict) -> None:
        self._send("PUT", TRIGGER_URL.format(id=trigger_id), json={"trigger": trigger})
