"""Shared fixtures: the AEP emulator as a real server, settings pointing at it, a runtime, an app."""
from __future__ import annotations

import pytest

from connector import create_app
from connector.config import Settings
from connector.runtime import build_runtime
from connector.sandbox.aep import AepSandbox

API_KEY = "test-api-key"


@pytest.fixture(scope="session")
def aep_sandbox():
    sandbox = AepSandbox().start()
    yield sandbox
    sandbox.stop()


@pytest.fixture()
def aep(aep_sandbox):
    """The running emulator, with faults, requests and tokens reset for each test."""
    aep_sandbox.faults.reset()
    aep_sandbox.world.clear()
    aep_sandbox.world.profile_patches.clear()
    aep_sandbox.world.default_merge_policy = True
    aep_sandbox.world.absent_namespaces = set()
    yield aep_sandbox
    aep_sandbox.faults.reset()


@pytest.fixture()
def settings(aep, tmp_path) -> Settings:
    return Settings(**aep.settings_overrides(), api_keys=(API_KEY,), aep_timeout=2.0, aep_max_retry_wait=1.0,
                    database_url=f"sqlite:///{tmp_path}/connector.db", queue_url=f"sqlite:///{tmp_path}/queue.db")


@pytest.fixture()
def runtime(settings):
    rt = build_runtime(settings)
    yield rt
    rt.close()


@pytest.fixture()
def client(runtime):
    app = create_app(runtime=runtime)
    return app.test_client()


@pytest.fixture(scope="session")
def zendesk_sandbox():
    from connector.sandbox.zendesk import ZendeskSandbox

    sandbox = ZendeskSandbox().start()
    yield sandbox
    sandbox.stop()


@pytest.fixture()
def zd(zendesk_sandbox):
    """The running Zendesk emulator with fresh seed data, no faults, an empty request log."""
    zendesk_sandbox.world.reset_data()
    zendesk_sandbox.world.rate_limit = 700
    zendesk_sandbox.world.rate_limit_headers = ("x-rate-limit", "ratelimit")
    zendesk_sandbox.world.trigger_category_required = True
    zendesk_sandbox.world.ticket_update_limit = 30
    zendesk_sandbox.faults.reset()
    zendesk_sandbox.world.clear()
    yield zendesk_sandbox
    zendesk_sandbox.faults.reset()


@pytest.fixture()
def zsettings(settings, zd) -> Settings:
    return settings.replace(**zd.settings_overrides(), session_secret="test-session-secret-0123456789abcdef")


@pytest.fixture()
def zruntime(zsettings):
    rt = build_runtime(zsettings)
    yield rt
    rt.close()


@pytest.fixture()
def zclient(zruntime):
    return create_app(runtime=zruntime).test_client()


@pytest.fixture()
def connector_server(zruntime):
    """The connector's app on a real port, so that the emulator can deliver webhooks to it."""
    from connector.sandbox.server import ServerThread

    server = ServerThread(create_app(runtime=zruntime)).start()
    yield server
    server.stop()


@pytest.fixture()
def installed(zruntime, connector_server, zd):
    """The webhook and trigger installed in the emulator, pointing at the connector."""
    report = zruntime.provider("zendesk").install(endpoint=connector_server.url + "/zendesk/webhooks")
    zd.world.clear()
    return report


CALLOUT_SECRET = "test-callout-secret"


@pytest.fixture(scope="session")
def salesforce_sandbox():
    from connector.sandbox.salesforce import SalesforceSandbox

    sandbox = SalesforceSandbox().start()
    yield sandbox
    sandbox.stop()


@pytest.fixture()
def sf(salesforce_sandbox):
    """The running Salesforce emulator with fresh records, a fresh allocation and an empty request log."""
    salesforce_sandbox.world.reset_data()
    salesforce_sandbox.world.daily_max = 15_000
    salesforce_sandbox.faults.reset()
    salesforce_sandbox.world.clear()
    yield salesforce_sandbox
    salesforce_sandbox.faults.reset()


@pytest.fixture()
def sfsettings(settings, sf) -> Settings:
    return settings.replace(**sf.settings_overrides(), salesforce_callout_secret=CALLOUT_SECRET)


@pytest.fixture()
def sfruntime(sfsettings):
    rt = build_runtime(sfsettings)
    yield rt
    rt.close()


@pytest.fixture()
def sfclient(sfruntime):
    return create_app(runtime=sfruntime).test_client()


@pytest.fixture()
def connector_server_sf(sfruntime):
    from connector.sandbox.server import ServerThread

    server = ServerThread(create_app(runtime=sfruntime)).start()
    yield server
    server.stop()
