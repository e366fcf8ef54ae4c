"""`aep-connector zendesk install|package` and `jobs list|retry` against the emulators."""
from __future__ import annotations

import os
import zipfile

import pytest
from click.testing import CliRunner

from connector.cli import main
from connector.store.db import Store

ENDPOINT = "https://connector.example.com/zendesk/webhooks"


@pytest.fixture()
def env(zsettings):
    s = zsettings
    return {"CONNECTOR_AEP_IMS_URL": s.aep_ims_url, "CONNECTOR_AEP_PLATFORM_URL": s.aep_platform_url,
            "CONNECTOR_AEP_CLIENT_ID": s.aep_client_id, "CONNECTOR_AEP_CLIENT_SECRET": s.aep_client_secret,
            "CONNECTOR_AEP_ORG_ID": s.aep_org_id, "CONNECTOR_ZENDESK_URL": s.zendesk_url,
            "CONNECTOR_ZENDESK_EMAIL": s.zendesk_email, "CONNECTOR_ZENDESK_API_TOKEN": s.zendesk_api_token,
            "CONNECTOR_DATABASE_URL": s.database_url, "CONNECTOR_QUEUE_URL": s.queue_url}


def run(env, *args):
    clean = {k: None for k in os.environ if k.startswith("CONNECTOR_")}
    return CliRunner().invoke(main, list(args), env={**clean, **env})


def test_dry_run_changes_nothing(env, zd):
    result = run(env, "zendesk", "install", "--endpoint", ENDPOINT, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would create webhook 'AEP profile enrichment'" in result.stdout
    assert "would create trigger 'AEP: enrich new tickets'" in result.stdout
    assert zd.world.webhooks == {} and zd.world.triggers == {}
    assert [(m, p) for m, p, _ in zd.world.calls()] == [
        ("GET", "/api/v2/webhooks"), ("GET", "/api/v2/triggers.json"), ("GET", "/api/v2/trigger_categories")]


def test_install_creates_then_is_idempotent_and_stores_the_secret(env, zd, zsettings):
    first = run(env, "zendesk", "install", "--endpoint", ENDPOINT)
    assert first.exit_code == 0, first.output
    (hook,) = zd.world.webhooks.values()
    (trigger,) = zd.world.triggers.values()
    assert hook["endpoint"] == ENDPOINT and hook["subscriptions"] == ["conditional_ticket_events"]
    assert trigger["conditions"]["all"] == [{"field": "update_type", "operator": "is", "value": "Create"}]
    assert trigger["actions"][0]["value"][0] == hook["id"]
    assert trigger["category_id"] == "10001"  # the emulator, like Zendesk, refuses a trigger without one
    assert Store(zsettings.database_url).get_setting("zendesk.webhook_secret") == zd.world.secrets[hook["id"]]

    zd.world.clear()
    second = run(env, "zendesk", "install", "--endpoint", ENDPOINT)
    assert second.exit_code == 0
    assert "is up to date" in second.stdout and len(zd.world.webhooks) == 1 and len(zd.world.triggers) == 1
    assert [m for m, _, _ in zd.world.calls()] == ["GET", "GET", "GET"]  # list, secret, list: no writes

    moved = run(env, "zendesk", "install", "--endpoint", ENDPOINT.replace("connector.", "cx."))
    assert f"update webhook {hook['id']}" in moved.stdout
    assert zd.world.webhooks[hook["id"]]["endpoint"].startswith("https://cx.")


def test_install_without_zendesk_settings_is_one_line(env):
    env = {k: v for k, v in env.items() if not k.startswith("CONNECTOR_ZENDESK")}
    result = run(env, "zendesk", "install", "--endpoint", ENDPOINT)
    assert result.exit_code == 2 and "CONNECTOR_ZENDESK_URL" in result.stderr and "Traceback" not in result.output


def test_package_writes_the_upload_zip(env, tmp_path):
    result = run(env, "zendesk", "package", "--out", str(tmp_path))
    assert result.exit_code == 0
    with zipfile.ZipFile(result.stdout.strip()) as archive:
        assert "manifest.json" in archive.namelist()


def test_jobs_list_and_retry(env, zsettings):
    store = Store(zsettings.database_url)
    store.accept(delivery_key="zendesk:1", record_key="zendesk:ticket:9", provider="zendesk")
    store.claim("zendesk:ticket:9")
    store.dead("zendesk:ticket:9", error="upstream_error: Zendesk answered HTTP 422")
    listed = run(env, "jobs", "list", "--status", "dead")
    assert listed.exit_code == 0 and "zendesk:ticket:9" in listed.stdout and "HTTP 422" in listed.stdout
    retried = run(env, "jobs", "retry", "--all-dead")
    assert retried.exit_code == 0 and "requeued 1 job(s)" in retried.stdout
    assert store.job("zendesk:ticket:9").status == "pending"
    unknown = run(env, "jobs", "retry", "zendesk:ticket:404")
    assert unknown.exit_code == 1 and "zendesk:ticket:404" in unknown.stderr


def test_install_keeps_the_category_an_admin_chose_and_works_without_categories(env, zd):
    zd.world.trigger_categories["10002"] = {"id": "10002", "name": "Integrations", "position": 1}
    assert run(env, "zendesk", "install", "--endpoint", ENDPOINT).exit_code == 0
    (trigger,) = zd.world.triggers.values()
    trigger["category_id"] = "10002"  # moved in Admin Center
    zd.world.clear()
    again = run(env, "zendesk", "install", "--endpoint", ENDPOINT)
    assert "is up to date" in again.stdout and trigger["category_id"] == "10002"
    assert ("GET", "/api/v2/trigger_categories") not in [(m, p) for m, p, _ in zd.world.calls()]

    zd.world.reset_data()
    zd.world.trigger_categories.clear()
    zd.world.trigger_category_required = False  # an account without trigger categories
    assert run(env, "zendesk", "install", "--endpoint", ENDPOINT).exit_code == 0
    (trigger,) = zd.world.triggers.values()
    assert "category_id" not in trigger


def test_install_finds_its_webhook_on_a_later_page(env, zd):
    for n in range(100):  # other integrations' webhooks fill the first page
        zd.world.webhooks[f"01OTHER{n:03d}"] = {"id": f"01OTHER{n:03d}", "name": f"other {n}",
                                                 "endpoint": "https://other.example/hook", "status": "active"}
    first = run(env, "zendesk", "install", "--endpoint", ENDPOINT)
    assert first.exit_code == 0, first.output
    assert len(zd.world.webhooks) == 101
    zd.world.clear()
    again = run(env, "zendesk", "install", "--endpoint", ENDPOINT)
    assert again.exit_code == 0, again.output
    ours = [h for h in zd.world.webhooks.values() if h["name"] == "AEP profile enrichment"]
    assert len(ours) == 1 and len(zd.world.webhooks) == 101 and "is up to date" in again.stdout
    lists = [p for m, p, _ in zd.world.calls() if p == "/api/v2/webhooks"]
    assert len(lists) == 2 and not zd.world.calls("/api/v2/webhooks", "POST")
