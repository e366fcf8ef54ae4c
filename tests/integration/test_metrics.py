"""GET /metrics: Prometheus text with deliveries, upstream calls, cache, queue and job gauges."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from connector.sandbox import seed
from tests.conftest import API_KEY
from tests.zendesk_helpers import fixture_bytes, signed_headers


def samples(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    out = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(metrics, name, **labels):
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_what_happened(zclient, zruntime):
    before = samples(zclient)
    customer = seed.customer(9)
    for _ in range(2):
        zclient.get("/api/v1/profiles", query_string={"namespace": "CRMID", "id": customer.crm_id},
                    headers={"X-API-Key": API_KEY})
    zruntime.store.put_setting("zendesk.webhook_secret", "s")
    body = fixture_bytes("ticket_created__trigger")
    zclient.post("/zendesk/webhooks", data=body, headers=signed_headers("s", body))
    zclient.post("/zendesk/webhooks", data=body, headers=signed_headers("wrong", body))
    after = samples(zclient)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("connector_profile_cache_lookups_total", result="miss") >= 1
    assert delta("connector_profile_cache_lookups_total", result="hit") >= 1
    assert delta("connector_deliveries_total", endpoint="zendesk.webhooks", status="202") == 1
    assert delta("connector_deliveries_total", endpoint="zendesk.webhooks", status="401") == 1
    assert delta("connector_upstream_seconds_count", service="AEP", status="200") >= 2
    assert value(after, "connector_queue_depth") == 1
    assert value(after, "connector_jobs", status="pending") == 1
    text = zclient.get("/metrics").get_data(as_text=True)
    assert customer.crm_id not in text and customer.email not in text  # no identities in labels
