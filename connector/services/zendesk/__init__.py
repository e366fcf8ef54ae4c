"""Zendesk, configured: ticket enrichment, the sidebar, webhook and app secrets, install, privacy
clean-up and ``check`` lines — the provider's side of the shared use-cases."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from connector import errors
from connector.core.jobkey import JobKey
from connector.core.targets import Target
from connector.core.writeplan import same
from connector.providers import Echo, Shared
from connector.services.drafts import Draft
from connector.services.zendesk.catalog import mapping_problems
from connector.services.zendesk.directory import ZendeskDirectory
from connector.services.zendesk.install import InstallReport, install_zendesk
from connector.services.zendesk.sidebar import Sidebar
from connector.services.zendesk.tickets import CALLS_PER_JOB, Tickets

log = logging.getLogger(__name__)

WEBHOOK_SECRET_KEY = "zendesk.webhook_secret"
ZAF_KEY_RETRY_S = 30.0
START_RETRY_S = 30.0
FIRST_TRY_WAIT_S = 2.0  # a webhook right after start waits this long at most for our own user id
TICKET, TAGS, USER = "ticket.custom_fields", "ticket.tags", "user.user_fields"


class ZendeskService:
    name = "zendesk"

    def __init__(self, shared: Shared, *, client: Any) -> None:
        self.shared = shared
        self.settings = shared.settings
        self.client = client
        self.directory = ZendeskDirectory(client)
        self.tickets = Tickets(zendesk=client, spec=shared.manifest.writeback.get(self.name), lookup=shared.lookup,
                               ledger=shared.ledger, store=shared.store, lang=shared.lang,
                               on_ticket_read=self.directory.remember_ticket)
        self.sidebar = Sidebar(lookup=shared.lookup, directory=self.directory, views=shared.store.views,
                               records_per_minute=self.settings.sidebar_records_per_minute)
        self._own_id: int | None = None
        self._starting, self._first_try, self._closed = threading.Event(), threading.Event(), threading.Event()
        self._zaf_lock = threading.Lock()
        self._zaf_key: str | None = None
        self._zaf_key_failure: tuple[float, errors.UpstreamError] | None = None

    # -- start, and what request handlers read -----------------------------------------------

    def start(self) -> None:
        """What request handlers read, fetched in the background from start: our own Zendesk user (webhooks
        our updates cause are ignored by it) and the sidebar app's public key (when only the app id is
        configured). Until Zendesk answers it is asked again every START_RETRY_S; nothing waits for it."""
        if not self._starting.is_set():
            self._starting.set()
            threading.Thread(target=self._load, name="zendesk-start", daemon=True).start()

    def _load(self) -> None:
        while True:
            try:
                self._own_id = self.client.me()
                if self.settings.zendesk_app_id and not self.settings.zendesk_app_public_key:
                    self.zaf_public_key()
                return
            except errors.UpstreamError as exc:
                log.warning("zendesk.start.failed", extra={"reason": exc.code})
            finally:
                self._first_try.set()
            if self._closed.wait(START_RETRY_S):
                return

    def caused_by_us(self, actor_id: int | None) -> bool:
        """Whether our own update fired this webhook. A delivery in the first moments waits (briefly) for the
        first try at start; without our user id (Zendesk down) it is processed: enrichment is idempotent."""
        if actor_id is None:
            return False
        self._first_try.wait(FIRST_TRY_WAIT_S)
        return self._own_id is not None and actor_id == self._own_id

    def webhook_secret(self) -> str | None:
        return self.settings.zendesk_webhook_secret or self.shared.store.get_setting(WEBHOOK_SECRET_KEY)

    def zaf_public_key(self) -> str:
        if self._zaf_key is not None:
            return self._zaf_key
        with self._zaf_lock:  # the start thread and a first sidebar load fetch it once between them
            return self._zaf_key_locked()

    def _zaf_key_locked(self) -> str:
        if self._zaf_key is None:
            if self.settings.zendesk_app_public_key:
                self._zaf_key = self.settings.zendesk_app_public_key
            elif self.settings.zendesk_app_id:
                self._zaf_key = self._fetch_zaf_key(self.settings.zendesk_app_id)
            else:
                raise errors.ConfigError("set CONNECTOR_ZENDESK_APP_PUBLIC_KEY or CONNECTOR_ZENDESK_APP_ID for "
                                         "the sidebar")
        return self._zaf_key

    def _fetch_zaf_key(self, app_id: str) -> str:
        """The app's key from Zendesk; a failure is remembered for a while, so that unauthenticated
        sidebar loads cannot make one Zendesk call each while Zendesk is failing."""
        failed = self._zaf_key_failure
        if failed is not None and failed[0] > time.monotonic():
            raise failed[1]
        try:
            return self.client.public_key(app_id)
        except errors.UpstreamError as exc:
            self._zaf_key_failure = (time.monotonic() + ZAF_KEY_RETRY_S, exc)
            raise

    # -- enrichment -------------------------------------------------------------------------

    def reserve(self) -> None:
        self.client.reserve(CALLS_PER_JOB)

    def draft(self, key: JobKey, *, note_written: bool | None = None) -> Draft:
        return self.tickets.draft(key, note_written=note_written)

    def write(self, draft: Draft) -> tuple[str, bool]:
        return self.tickets.write(draft)

    def install(self, *, endpoint: str, dry_run: bool = False) -> InstallReport:
        return install_zendesk(self.client, endpoint=endpoint, dry_run=dry_run,
                               store_secret=lambda s: self.shared.store.put_setting(WEBHOOK_SECRET_KEY, s))

    # -- privacy and check ------------------------------------------------------------------

    def clear(self, key: JobKey, written: dict[str, str | None]) -> tuple[list[str], list[str]]:
        ticket = self.client.read_ticket(int(key.id))
        fields, tags, user_keys, kept = [], [], [], []
        for wire, value in written.items():
            tag = wire.removeprefix(TAGS + ".") if wire.startswith(TAGS + ".") else None
            target = _target(wire) if tag is None else None
            if tag is not None:
                if tag in ticket.tags:
                    tags.append(tag)
            elif target is not None and not target.on_person and same(ticket.custom_fields.get(target.name), value):
                fields.append(target.name)
            elif target is not None and target.on_person and ticket.requester \
                    and same(ticket.requester.user_fields.get(target.name), value):
                user_keys.append(target.name)
            else:  # the note (comments cannot be deleted through the API; redact in Zendesk), or changed since
                kept.append(f"{key}/{wire}")
        self.client.clear_ticket(ticket.id, custom_fields=fields, remove_tags=tags)
        if ticket.requester is not None:
            self.client.clear_user_fields(ticket.requester.id, user_keys)
        cleared = ([f"{key}/{TICKET}.{f}" for f in fields] + [f"{key}/{TAGS}:{t}" for t in tags]
                   + [f"{key}/{USER}.{k}" for k in user_keys])
        return cleared, kept

    def check(self, echo: Echo) -> int:
        failures = 0
        for label, step in (("Zendesk API", self._api_lines), ("Zendesk webhook secret", self._secret_lines),
                            ("Zendesk fields", self._field_lines)):
            try:
                ok, lines = step()
            except errors.ConnectorError as exc:
                ok, lines = False, [exc.message]
            for line in lines:
                echo(f"{'ok  ' if ok else 'FAIL'} {label}: {line}")
            failures += 0 if ok else len(lines)
        return failures

    def _api_lines(self) -> tuple[bool, list[str]]:
        return True, [f"authenticated as user {self.client.me()}"]

    def _secret_lines(self) -> tuple[bool, list[str]]:
        if not self.webhook_secret():
            return False, ["none: set CONNECTOR_ZENDESK_WEBHOOK_SECRET or run `aep-connector zendesk install`"]
        return True, ["configured"]

    def _field_lines(self) -> tuple[bool, list[str]]:
        """Each write rule against the live field metadata: one line per problem."""
        spec = self.shared.manifest.writeback.get(self.name)
        if spec is None:
            return True, ["no writeback.zendesk rules"]
        problems = mapping_problems(self.shared.manifest, spec.rules, self.client.field_catalog(refresh=True))
        if problems:
            return False, [f"writeback.zendesk {p}" for p in problems]
        return True, ["every mapped ticket field id and user field key exists and takes its value"]

    def close(self) -> None:
        self._closed.set()


def _target(wire: str) -> Target | None:
    from connector.providers.zendesk import PROVIDER

    try:
        return PROVIDER.parse_target(wire)
    except ValueError:
        return None
