"""No identity, token or profile value reaches the logs, even at DEBUG (the connector's own loggers
and the libraries it drives)."""
from __future__ import annotations

import logging
import os
from urllib.parse import quote

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
