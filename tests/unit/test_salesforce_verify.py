"""Pure checks of Salesforce callouts and Canvas signed requests: what the replay windows refuse."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone

import pytest

from connector.config import Settings
from connector.errors import SignatureError
from connector.web.salesforce import frame_ancestors
from connector.web.verify import callout_signature, check_callout, check_canvas

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
SECRET = "callout-secret"


def _callout(timestamp: str) -> None:
    signature = callout_signature(secret=SECRET, method="POST", path="/salesforce/events", timestamp=timestamp,
                                  body=b"{}")
    check_callout(secret=SECRET, method="POST", path="/salesforce/events", timestamp=timestamp,
                  signature=signature, body=b"{}", now=NOW)


def test_a_whole_second_timestamp_inside_the_window_passes():
    _callout(str(int(NOW.timestamp()) - 10))


@pytest.mark.parametrize("timestamp", [
    "nan", "NaN", "inf", "-inf", "1e9", f"{int(NOW.timestamp())}.0", f"+{int(NOW.timestamp())}",
    f" {int(NOW.timestamp())}", f"{int(NOW.timestamp()):_}", "-1", "9" * 40,
    "".join(chr(0xFF10 + int(d)) for d in str(int(NOW.timestamp()))),  # full-width digits
])
def test_anything_but_plain_whole_seconds_is_refused(timestamp):
    with pytest.raises(SignatureError):
        _callout(timestamp)


CONSUMER = "consumer-secret"


def _canvas(**fields: object) -> str:
    document = {"algorithm": "HMACSHA256", "userId": "0055g00000AGENTAAA",
                "context": {"organization": {"organizationId": "00D5g000004ACMEEA2"}}, **fields}
    payload = base64.b64encode(json.dumps(document).encode()).decode()
    signature = base64.b64encode(hmac.new(CONSUMER.encode(), payload.encode(), hashlib.sha256).digest()).decode()
    return f"{signature}.{payload}"


@pytest.mark.parametrize("issued", [int(NOW.timestamp()), int(NOW.timestamp()) - 299, int(NOW.timestamp()) + 20,
                                    int(NOW.timestamp() * 1000) - 1000])
def test_a_fresh_canvas_request_passes(issued):
    assert check_canvas(_canvas(issuedAt=issued), consumer_secret=CONSUMER, now=NOW)["issuedAt"] == issued


@pytest.mark.parametrize("fields", [
    {"issuedAt": int(NOW.timestamp()) - 301},
    {"issuedAt": int(NOW.timestamp()) - 86_400},
    {"issuedAt": int(NOW.timestamp()) + 120},
    {"issuedAt": int(NOW.timestamp() * 1000) - 600_000},
    {"issuedAt": str(int(NOW.timestamp()))},
    {"issuedAt": float(int(NOW.timestamp()))},
    {"issuedAt": True},
    {"issuedAt": None},
    {},
], ids=["301s-old", "a-day-old", "future", "old-ms", "string", "float", "bool", "null", "missing"])
def test_a_stale_or_undated_canvas_request_is_refused(fields):
    with pytest.raises(SignatureError):
        check_canvas(_canvas(**fields), consumer_secret=CONSUMER, now=NOW)


@pytest.mark.parametrize("instance, ancestors", [
    ("https://acme.my.salesforce.com", ["https://acme.my.salesforce.com", "https://acme.lightning.force.com",
                                        "https://acme--c.vf.force.com"]),
    ("https://acme--uat.sandbox.my.salesforce.com/", ["https://acme--uat.sandbox.my.salesforce.com",
                                                      "https://acme--uat.sandbox.lightning.force.com",
                                                      "https://acme--uat--c.sandbox.vf.force.com"]),
    ("https://na15.salesforce.com", ["https://na15.salesforce.com"]),
    ("https://127.0.0.1:8443", ["https://127.0.0.1:8443"]),
    (None, ["'none'"]),
])
def test_only_the_configured_org_may_frame_the_canvas_page(instance, ancestors):
    assert frame_ancestors(Settings(salesforce_instance_url=instance)) == ancestors
