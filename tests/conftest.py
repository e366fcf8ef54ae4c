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
    aep_sandbox.world.default_merge_policy = True
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
