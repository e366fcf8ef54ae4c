"""`aep-connector forget` and retention: the person's data goes, an agent's edits stay."""
from __future__ import annotations

from datetime import timedelta

from connector.sandbox import seed
from connector.sandbox.salesforce import record_id
from connector.services.privacy import forget
from connector.store.db import utcnow


def test_forget_clears_what_the_connector_wrote_to_zendesk_but_not_agent_edits(zd, zruntime):
    customer = seed.customer(1)
    key = "zendesk:ticket:1"
    zruntime.store.accept(delivery_key="zendesk:x", record_key=key, provider="zendesk")
    assert zruntime.jobs.run(key) == "written"
    ticket = zd.world.tickets[1]
    by_id = {f["id"]: f for f in ticket["custom_fields"]}
    by_id[360003]["value"] = "agent says vip"  # an agent edits one field afterwards
    report = forget(lookup=zruntime.lookup, store=zruntime.store, namespace="CRMID", value=customer.crm_id,
                    clear_crm=True, providers=zruntime.providers)
    assert report.profile_found and report.audit_rows >= 5
    assert by_id[360001]["value"] is None and by_id[360002]["value"] is None
    assert by_id[360003]["value"] == "agent says vip"
    assert not [t for t in ticket["tags"] if t.startswith(("aep_churn_", "aep_tier_"))]
    assert zd.world.users[1001]["user_fields"] == {"aep_loyalty_tier": None, "aep_lifetime_value": None}
    assert f"{key}/ticket.note" in report.kept  # comments cannot be deleted through the API
    rows = zruntime.store.audit_rows(key)
    assert rows and all(r["value"] is None and r["profile_id"] is None and r["policy"] == "forgotten" for r in rows)
    assert zruntime.store.writes_for_profile(customer.entity_id) == []


def test_forget_clears_salesforce_fields(sfruntime, sf):
    customer = seed.customer(1)
    contact = record_id("Contact", 1)
    key = f"salesforce:Contact:{contact}"
    sfruntime.store.accept(delivery_key="salesforce:x", record_key=key, provider="salesforce")
    assert sfruntime.jobs.run(key) == "written"
    report = forget(lookup=sfruntime.lookup, store=sfruntime.store, namespace="Email", value=customer.email,
                    clear_crm=True, providers=sfruntime.providers)
    stored = sf.world.records["Contact"][contact]
    assert stored["AEP_Lifetime_Value__c"] is None and stored["AEP_Profile_Id__c"] is None
    assert f"{key}/Contact.AEP_Lifetime_Value__c" in report.cleared


def test_unknown_person_is_reported_and_nothing_changes(zruntime):
    report = forget(lookup=zruntime.lookup, store=zruntime.store, namespace="Email", value="nobody@example.com",
                    clear_crm=True)
    assert not report.profile_found and report.cleared == []


def test_retention_purges_old_rows_only(zruntime):
    store = zruntime.store
    store.accept(delivery_key="zendesk:old", record_key="zendesk:ticket:7", provider="zendesk")
    store.claim("zendesk:ticket:7")
    store.dead("zendesk:ticket:7", error="x")
    store.accept(delivery_key="zendesk:new", record_key="zendesk:ticket:8", provider="zendesk")
    store.clock = lambda: utcnow() + timedelta(days=91)
    counts = store.purge(older_than=timedelta(days=90))
    assert counts["jobs"] == 1 and counts["deliveries"] == 2
    assert store.job("zendesk:ticket:7") is None and store.job("zendesk:ticket:8").status == "pending"


def test_forget_and_purge_commands(aep, tmp_path):
    import os

    from click.testing import CliRunner

    from connector.cli import main

    env = {k: None for k in os.environ if k.startswith("CONNECTOR_")}
    env.update({"CONNECTOR_AEP_IMS_URL": aep.url, "CONNECTOR_AEP_PLATFORM_URL": aep.url,
                "CONNECTOR_AEP_CLIENT_ID": "sandbox-client-id", "CONNECTOR_AEP_CLIENT_SECRET": "sandbox-client-secret",
                "CONNECTOR_AEP_ORG_ID": "ACME0000000000000000@AdobeOrg",
                "CONNECTOR_DATABASE_URL": f"sqlite:///{tmp_path}/c.db", "CONNECTOR_QUEUE_URL": f"sqlite:///{tmp_path}/q.db"})
    customer = seed.customer(4)
    found = CliRunner().invoke(main, ["forget", "--namespace", "Email", "--id", customer.email], env=env)
    assert found.exit_code == 0 and found.stdout.startswith("audit rows forgotten: 0; CRM fields cleared: 0;")
    missing = CliRunner().invoke(main, ["forget", "--namespace", "Email", "--id", "nobody@example.com"], env=env)
    assert missing.exit_code == 0 and "no AEP profile" in missing.stdout
    purged = CliRunner().invoke(main, ["purge"], env=env)
    assert purged.exit_code == 0 and purged.stdout.strip() == (
        "audit: 0 removed, jobs: 0 removed, deliveries: 0 removed, card_views: 0 removed, sidebar_bindings: 0 removed")


def _enrich_ticket_1(zruntime) -> str:
    key = "zendesk:ticket:1"
    zruntime.store.accept(delivery_key="zendesk:x", record_key=key, provider="zendesk")
    assert zruntime.jobs.run(key) == "written"
    return key


def _aep_has_deleted_everyone(aep) -> None:
    from connector.sandbox.faults import Scripted

    aep.faults.script(Scripted(status=404, path="/data/core/ups/access/entities", times=100,
                               body={"type": "x", "title": "Profile not found", "status": 404}))


def test_forget_after_aep_deleted_the_profile_still_blanks_the_ledger_and_the_crm(zd, zruntime, aep):
    customer = seed.customer(1)
    key = _enrich_ticket_1(zruntime)
    _aep_has_deleted_everyone(aep)  # AEP's own privacy job ran first: the normal order
    report = forget(lookup=zruntime.lookup, store=zruntime.store, namespace="Email", value=customer.email,
                    clear_crm=True, providers=zruntime.providers)
    assert not report.profile_found and report.recorded
    rows = zruntime.store.audit_rows(key)
    assert rows and all(r["value"] is None and r["profile_id"] is None and r["policy"] == "forgotten" for r in rows)
    assert zd.world.users[1001]["user_fields"] == {"aep_loyalty_tier": None, "aep_lifetime_value": None}


def test_forget_by_another_identity_of_the_person_finds_what_was_written(zd, zruntime, aep):
    customer = seed.customer(1)
    key = _enrich_ticket_1(zruntime)  # matched by one identity of the requester; the others were recorded too
    _aep_has_deleted_everyone(aep)
    report = forget(lookup=zruntime.lookup, store=zruntime.store, namespace="Email_LC_SHA256",
                    value=customer.email.upper(), clear_crm=False)
    assert report.recorded and report.identities >= 2
    rows = zruntime.store.audit_rows(key)
    assert all(r["value"] is None and r["policy"] == "forgotten" for r in rows)


def test_forget_finds_rows_by_profile_id_and_the_identities_recorded_with_them(zruntime):
    from connector.store.db import AuditEntry

    store = zruntime.store
    customer = seed.customer(2)
    store.record_writes("zendesk:ticket:50", [AuditEntry("ticket.custom_fields.360001", "gold", "overwrite")],
                        profile_id=customer.entity_id, profile_last_modified=None, namespace="CRMID")
    store.record_writes("zendesk:ticket:51", [AuditEntry("ticket.custom_fields.360001", "silver", "overwrite"),
                                              AuditEntry("identity:Phone", "f" * 64, "identity")],
                        profile_id=customer.entity_id, profile_last_modified=None, namespace="Email")
    store.record_writes("zendesk:ticket:52", [AuditEntry("ticket.custom_fields.360001", "bronze", "overwrite"),
                                              AuditEntry("identity:Phone", "f" * 64, "identity")],
                        profile_id="another-merged-profile", profile_last_modified=None, namespace="Phone")
    store.record_writes("zendesk:ticket:53", [AuditEntry("ticket.custom_fields.360001", "kept", "overwrite")],
                        profile_id="somebody-else", profile_last_modified=None, namespace="Email")
    report = forget(lookup=zruntime.lookup, store=store, namespace="Email", value=customer.email, clear_crm=False)
    assert report.profile_found and report.audit_rows == 5
    for key in ("zendesk:ticket:50", "zendesk:ticket:51", "zendesk:ticket:52"):
        assert all(r["value"] is None for r in store.audit_rows(key)), key
    assert store.audit_rows("zendesk:ticket:53")[0]["value"] == "kept"


def test_forget_blanks_the_last_error_of_the_persons_jobs(zd, zruntime):
    customer = seed.customer(1)
    key = _enrich_ticket_1(zruntime)
    zruntime.store.retry_later(key, delay=60, error=f"Zendesk refused requester {customer.email}")
    zruntime.store.accept(delivery_key="zendesk:other", record_key="zendesk:ticket:99", provider="zendesk")
    zruntime.store.retry_later("zendesk:ticket:99", delay=60, error="someone else's error")
    forget(lookup=zruntime.lookup, store=zruntime.store, namespace="Email", value=customer.email, clear_crm=False)
    assert zruntime.store.job(key).last_error is None
    assert zruntime.store.job("zendesk:ticket:99").last_error == "someone else's error"


def test_forget_in_one_process_empties_the_in_memory_cache_of_another(zruntime, aep):
    from connector.services.cache import GENERATION_KEY, ProfileCache

    customer = seed.customer(3)
    now = [1000.0]
    other = ProfileCache(ttl=300, timer=lambda: now[0], generation=lambda: zruntime.store.get_setting(GENERATION_KEY))
    zruntime.lookup.cache = other  # the cache of a second web process sharing the database
    assert zruntime.lookup.by_identity("Email", customer.email).status == "found"
    from connector.services.lookup import ProfileLookup

    this = ProfileLookup(aep=zruntime.aep, manifest=zruntime.manifest, executor=zruntime.executor,
                         cache=ProfileCache(ttl=300))
    forget(lookup=this, store=zruntime.store, namespace="CRMID", value=customer.crm_id, clear_crm=False)
    calls = len(aep.world.calls("/data/core/ups/access/entities"))
    now[0] += 1.5  # the other process looks at the generation at most once a second
    zruntime.lookup.by_identity("Email", customer.email)
    assert len(aep.world.calls("/data/core/ups/access/entities")) > calls  # the cache was emptied: AEP again


def test_the_runtime_cache_follows_the_generation_in_the_database(zruntime):
    from connector.core.models import EventPage, Identity, Profile
    from connector.services.cache import GENERATION_KEY, Bundle

    identity = Identity("Email", "someone@example.com")
    zruntime.lookup.cache.put(identity, Bundle(Profile("p1", {}, None, ()), EventPage(), {}))
    zruntime.store.put_setting(GENERATION_KEY, "changed-by-another-process")
    assert zruntime.lookup.cache.get(identity) is None


def test_enrichment_records_the_contacts_identities_as_digests_only(zd, zruntime):
    import hashlib

    customer = seed.customer(1)
    key = _enrich_ticket_1(zruntime)
    rows = zruntime.store.audit_rows(key)
    identities = {r["target"]: r["value"] for r in rows if r["policy"] == "identity"}
    assert identities["identity:Email"] == hashlib.sha256(f"email\0{customer.email}".encode()).hexdigest()
    assert all(len(v) == 64 for v in identities.values())
    recorded = " ".join(str(r["value"]) for r in rows)
    assert customer.email not in recorded and customer.phone not in recorded


def test_forget_command_after_aep_deleted_the_profile(zd, zruntime, aep, tmp_path):
    import os

    from click.testing import CliRunner

    from connector.cli import main

    customer = seed.customer(1)
    key = _enrich_ticket_1(zruntime)
    _aep_has_deleted_everyone(aep)
    settings = zruntime.settings
    env = {k: None for k in os.environ if k.startswith("CONNECTOR_")}
    env.update({"CONNECTOR_AEP_IMS_URL": aep.url, "CONNECTOR_AEP_PLATFORM_URL": aep.url,
                "CONNECTOR_AEP_CLIENT_ID": "sandbox-client-id", "CONNECTOR_AEP_CLIENT_SECRET": "sandbox-client-secret",
                "CONNECTOR_AEP_ORG_ID": "ACME0000000000000000@AdobeOrg",
                "CONNECTOR_DATABASE_URL": settings.database_url, "CONNECTOR_QUEUE_URL": settings.queue_url})
    result = CliRunner().invoke(main, ["forget", "--namespace", "Email", "--id", customer.email], env=env)
    assert result.exit_code == 0, result.output
    assert "no AEP profile for this identity any more" in result.stdout
    assert "audit rows forgotten: 0;" not in result.stdout
    assert all(r["value"] is None for r in zruntime.store.audit_rows(key))
