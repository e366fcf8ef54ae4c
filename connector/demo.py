"""``aep-connector demo``: the AEP emulator and the connector on localhost, with seed data."""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from connector.config import load_settings
from connector.runtime import build_runtime
from connector.sandbox import seed
from connector.textcard import render


def run_demo(*, port: int, echo: Callable[[str], None], serve: bool = True) -> int:
    runtime = build_runtime(load_settings().replace(sandbox=True))
    runtime.warm()
    aep_url = runtime.settings.aep_platform_url
    key = runtime.settings.api_keys[0]
    sample = seed.customer(1)
    base = f"http://127.0.0.1:{port}"
    echo(f"AEP emulator:  {aep_url}  ({seed.DEFAULT_CUSTOMERS} seeded customers)")
    echo(f"Connector:     {base}")
    echo(f"API key:       {key}")
    echo("")
    echo("Sample customers (any of their identities finds the same profile):")
    for index in (1, 2, 3):
        c = seed.customer(index)
        echo(f"  {c.first} {c.last}: Email={c.email}  CRMID={c.crm_id}  Phone_E.164={c.phone}")
    oversized = seed.customer(seed.DEFAULT_CUSTOMERS - 1)
    echo(f"  oversized identity graph (AEP refuses it): CRMID={oversized.crm_id}")
    echo("")
    echo("Sample lookup (the agent card), by e-mail as a CRM holds it:")
    card = runtime.lookup.by_identity("Email", sample.crm_email)
    echo(render(card.to_dict()))
    echo("")
    echo("Try:")
    echo(f"  curl -H 'X-API-Key: {key}' '{base}/api/v1/profiles?namespace=Email&id={quote(sample.email)}'")
    echo(f"  curl '{base}/readyz'")
    echo(f"  CONNECTOR_AEP_IMS_URL={aep_url} CONNECTOR_AEP_PLATFORM_URL={aep_url} "
         f"CONNECTOR_AEP_CLIENT_ID={runtime.settings.aep_client_id} "
         f"CONNECTOR_AEP_CLIENT_SECRET={runtime.settings.aep_client_secret} "
         f"CONNECTOR_AEP_ORG_ID={runtime.settings.aep_org_id} "
         f"aep-connector lookup --namespace CRMID --id {sample.crm_id}")
    echo("Ctrl-C stops.")
    if not serve:
        runtime.close()
        return 0
    from waitress import serve as waitress_serve

    from connector import create_app

    try:
        waitress_serve(create_app(runtime=runtime), host="127.0.0.1", port=port,
                       threads=runtime.settings.web_threads, ident="aep-connector")
    except KeyboardInterrupt:
        pass
    finally:
        runtime.close()
    return 0
