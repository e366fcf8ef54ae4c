"""No identity, token or profile value reaches the logs, even at DEBUG (the connector's own loggers
and the libraries it drives)."""
from __future__ import annotations

import logging
import os
from urllib.parse import quote

import requests
from click.testing import CliRunner

from connector.cli import main
from connector.sandbox import seed


def test_a_debug_lookup_logs_no_identity_or_profile_value(aep, tmp_path, caplog):
    customer = seed.customer(5)
    env = {"CONNECTOR_AEP_IMS_URL": aep.url, "CONNECTOR_AEP_PLATFORM_URL": aep.url,
           "CONNECTOR_AEP_CLIENT_ID": "sandbox-client-id", "CONNECTOR_AEP_CLIENT_SECRET": "sandbox-client-secret",
           "CONNECTOR_AEP_ORG_ID": "ACME0000000000000000@AdobeOrg",
           "CONNECTOR_DATABASE_URL": f"sqlite:///{tmp_path}/c.db", "CONNECTOR_QUEUE_URL": f"sqlite:///{tmp_path}/q.db"}
    clean = {k: None for k in os.environ if k.startswith("CONNECTOR_")}
    with caplog.at_level(logging.DEBUG):
        result = CliRunner().invoke(main, ["--log-level", "DEBUG", "lookup", "--namespace", "Email",
                                           "--id", customer.email], env={**clean, **env})
    assert result.exit_code == 0, result.output
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records  # it did log
    profile = seed.profile_entity(5)
    for secret in (customer.email, quote(customer.email), customer.crm_id, customer.phone, customer.last,
                   "sandbox-client-secret", "Bearer ", str(profile["_acme"]["lifetimeValue"])):
        assert secret not in logged, secret


def test_a_full_debug_run_logs_json_with_ids_and_no_personal_data(zd, installed, zruntime, connector_server):
    import io
    import json as jsonlib

    from connector.logs import setup
    from tests.zendesk_helpers import wait_for

    stream = io.StringIO()
    setup("DEBUG", stream=stream)
    try:
        zruntime.start_workers()
        ticket = zd.create_ticket(1001)
        wait_for(lambda: (j := zruntime.store.job(f"zendesk:ticket:{ticket['id']}")) and j.status == "done")
        requests.get(connector_server.url + "/api/v1/profiles", params={"namespace": "Email",
                     "id": seed.customer(2).crm_email}, headers={"X-API-Key": "test-api-key"}, timeout=10)
    finally:
        setup("WARNING")
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    records = [jsonlib.loads(line) for line in lines]  # every line is one JSON object
    assert any(r.get("job") == f"zendesk:ticket:{ticket['id']}" for r in records)
    assert any(r.get("request_id") for r in records)
    text = stream.getvalue()
    secrets = ["sandbox-client-secret", "sandbox-zendesk-token", "Bearer ", "test-session-secret",
               zruntime.provider("zendesk").webhook_secret()]
    for index in (1, 2):
        c, profile = seed.customer(index), seed.profile_entity(index)
        secrets += [c.email, quote(c.email), c.crm_email.strip(), c.phone, c.crm_phone, c.crm_id, c.last,
                    str(profile["_acme"]["lifetimeValue"])]
    for secret in secrets:
        assert secret not in text, secret
