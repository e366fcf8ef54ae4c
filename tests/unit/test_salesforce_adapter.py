"""The Salesforce adapter's exact requests, over requests-mock."""
from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs

import jwt
import pytest

from connector import errors
from connector.adapters.salesforce import SalesforceClient
from connector.config import Settings

BASE = "https://acme.my.salesforce.com"
DATA = f"{BASE}/services/data/v59.0"
SETTINGS = Settings(salesforce_instance_url=BASE, salesforce_client_id="ck", salesforce_client_secret="cs")
TOKEN = {"access_token": "00D!tok", "instance_url": BASE, "token_type": "Bearer",
         "id": f"{BASE}/id/00D5g000004ACMEEA2/0055g00000INTEGAAA", "issued_at": "1", "signature": "x"}


@pytest.fixture()
def token(requests_mock):
    return requests_mock.post(f"{BASE}/services/oauth2/token", json=TOKEN)


def test_client_credentials_login_then_get_with_fields(requests_mock, token):
    requests_mock.get(f"{DATA}/sobjects/Contact/003A", json={"attributes": {"type": "Contact"}, "Id": "003A",
                                                             "Email": "a@b.co"},
                      headers={"Sforce-Limit-Info": "api-usage=18/5000"})
    client = SalesforceClient(SETTINGS)
    assert client.get("Contact", "003A", ["Id", "Email"]) == {"Id": "003A", "Email": "a@b.co"}
    login, get = requests_mock.request_history
    assert login.headers["Authorization"] == "Basic " + base64.b64encode(b"ck:cs").decode()
    assert login.text == "grant_type=client_credentials"
    assert get.qs == {"fields": ["id,email"]} and get.headers["Authorization"] == "Bearer 00D!tok"
    assert client.user_id == "0055g00000INTEGAAA"
    assert (client.usage.used, client.usage.allocation) == (18, 5000) and client.usage.share == 18 / 5000


def test_update_patches_only_the_given_fields_with_the_namespace(requests_mock, token):
    requests_mock.patch(f"{DATA}/sobjects/Contact/003A", status_code=204)
    client = SalesforceClient(SETTINGS.replace(salesforce_namespace="aep"))
    client.update("Contact", "003A", {"AEP_Lifetime_Value__c": 12.5, "Email": "x@y.z"})
    sent = requests_mock.request_history[-1]
    assert sent.method == "PATCH" and sent.json() == {"aep__AEP_Lifetime_Value__c": 12.5, "Email": "x@y.z"}


def test_collections_are_chunked_at_200_and_report_each_record(requests_mock, token):
    def answer(request, context):
        return [{"id": r["id"], "success": True, "errors": []} if r["id"] != "003bad" else
                {"success": False, "errors": [{"statusCode": "MALFORMED_ID", "message": "bad id", "fields": []}]}
                for r in request.json()["records"]]
    requests_mock.patch(f"{DATA}/composite/sobjects", json=answer)
    writes = [("Contact", f"003{i:012d}", {"AEP_Loyalty_Tier__c": "gold"}) for i in range(250)] + \
        [("Contact", "003bad", {"AEP_Loyalty_Tier__c": "gold"})]
    outcomes = SalesforceClient(SETTINGS).update_many(writes)
    calls = [r for r in requests_mock.request_history if r.method == "PATCH"]
    assert [len(c.json()["records"]) for c in calls] == [200, 51]
    assert calls[0].json()["allOrNone"] is False
    assert calls[0].json()["records"][0] == {"attributes": {"type": "Contact"}, "id": "003000000000000",
                                            "AEP_Loyalty_Tier__c": "gold"}
    assert outcomes[:250] == [None] * 250 and outcomes[250] == "MALFORMED_ID: bad id"


def test_expired_session_logs_in_again_once(requests_mock):
    tokens = requests_mock.post(f"{BASE}/services/oauth2/token",
                                [{"json": TOKEN}, {"json": {**TOKEN, "access_token": "new"}}])
    requests_mock.get(f"{DATA}/sobjects/Contact/003A", [
        {"status_code": 401, "json": [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]},
        {"json": {"attributes": {}, "Id": "003A"}}])
    assert SalesforceClient(SETTINGS).get("Contact", "003A", ["Id"]) == {"Id": "003A"}
    assert tokens.call_count == 2
    assert requests_mock.request_history[-1].headers["Authorization"] == "Bearer new"


@pytest.mark.parametrize("status, body, error, retry_after", [
    (403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
     errors.UpstreamRateLimited, 900.0),
    (403, [{"message": "ConcurrentPerOrgLongTxn Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
     errors.UpstreamRateLimited, 5.0),
    (400, [{"message": "unable to obtain exclusive access", "errorCode": "UNABLE_TO_LOCK_ROW"}],
     errors.UpstreamConflict, None),
    (400, [{"message": "Bad value", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": ["X__c"]}],
     errors.UpstreamError, None),
    (503, [{"message": "busy", "errorCode": "SERVER_UNAVAILABLE"}], errors.UpstreamUnavailable, None),
])
def test_errors_are_translated(requests_mock, token, status, body, error, retry_after):
    requests_mock.patch(f"{DATA}/sobjects/Contact/003A", status_code=status, json=body)
    with pytest.raises(error) as info:
        SalesforceClient(SETTINGS).update("Contact", "003A", {"X__c": 1})
    assert type(info.value) is error and info.value.retry_after == retry_after
    assert body[0]["errorCode"] in info.value.message


def test_username_password_mode_posts_the_password_grant(requests_mock, token):
    requests_mock.get(f"{DATA}/sobjects/Contact/003A", json={"attributes": {}, "Id": "003A"})
    settings = SETTINGS.replace(salesforce_username="u@acme.example", salesforce_password="pwTOKEN")
    SalesforceClient(settings).get("Contact", "003A", ["Id"])
    assert parse_qs(requests_mock.request_history[0].text) == {
        "grant_type": ["password"], "client_id": ["ck"], "client_secret": ["cs"], "username": ["u@acme.example"],
        "password": ["pwTOKEN"]}


def test_jwt_bearer_mode_posts_a_signed_assertion(requests_mock, token):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    requests_mock.get(f"{DATA}/sobjects/Contact/003A", json={"attributes": {}, "Id": "003A"})
    settings = SETTINGS.replace(salesforce_client_secret=None, salesforce_username="u@acme.example",
                                salesforce_private_key=pem)
    SalesforceClient(settings).get("Contact", "003A", ["Id"])
    form = parse_qs(requests_mock.request_history[0].text)
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    claims = jwt.decode(form["assertion"][0], key.public_key(), algorithms=["RS256"],
                        audience="https://login.salesforce.com")
    assert (claims["iss"], claims["sub"]) == ("ck", "u@acme.example") and claims["exp"] > time.time()


USERINFO = f"{BASE}/services/oauth2/userinfo"


def test_session_owner_asks_userinfo_of_the_configured_instance_with_the_session(requests_mock):
    requests_mock.get(USERINFO, json={"sub": f"{BASE}/id/00D5g000004ACMEEA2/0055g00000INTEGAAA",
                                      "organization_id": "00D5g000004ACMEEA2", "user_id": "0055g00000INTEGAAA"})
    owner = SalesforceClient(SETTINGS).session_owner("00D5g000004ACME!session")
    assert owner == ("00D5g000004ACMEEA2", "0055g00000INTEGAAA")
    (sent,) = requests_mock.request_history  # one call, and no login of the connector's own
    assert (sent.method, sent.url) == ("GET", USERINFO)
    assert sent.headers["Authorization"] == "Bearer 00D5g000004ACME!session"
    assert sent.timeout == 5.0


@pytest.mark.parametrize("status", [401, 403])
def test_session_owner_is_none_for_a_session_salesforce_refuses(requests_mock, status):
    requests_mock.get(USERINFO, status_code=status, text="Bad_OAuth_Token")
    assert SalesforceClient(SETTINGS).session_owner("forged") is None


def test_session_owner_does_not_follow_redirects(requests_mock):
    requests_mock.get(USERINFO, status_code=302, headers={"Location": "https://attacker.example/collect"})
    with pytest.raises(errors.UpstreamError):
        SalesforceClient(SETTINGS).session_owner("s")
    assert len(requests_mock.request_history) == 1


@pytest.mark.parametrize("status, error", [(500, errors.UpstreamUnavailable), (503, errors.UpstreamUnavailable),
                                           (200, errors.UpstreamError)])
def test_session_owner_translates_failures(requests_mock, status, error):
    requests_mock.get(USERINFO, status_code=status, json={"unexpected": True})
    with pytest.raises(error):
        SalesforceClient(SETTINGS).session_owner("s")


def test_session_owner_timeout_is_retryable(requests_mock):
    import requests

    requests_mock.get(USERINFO, exc=requests.ConnectTimeout)
    with pytest.raises(errors.UpstreamUnavailable):
        SalesforceClient(SETTINGS).session_owner("s")
