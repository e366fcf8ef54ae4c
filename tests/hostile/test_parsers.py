"""Property tests of every parser that meets outside input: whatever arrives, each answers with its own
refusal (ValidationError, ValueError, SignatureError, IdentityValueError) or a result — never another
exception — within a per-case deadline of two seconds."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from connector.core.identity import IdentityValueError, candidates, digest, mask, normalise
from connector.core.manifest import CandidateRule, IdentitySpec
from connector.core.models import Contact, Identity
from connector.errors import SignatureError
from connector.schemas.salesforce import parse_outbound
from connector.schemas.zendesk import EVENT_PREFIX, ZendeskEvent, parse_event
from connector.web.verify import (
    REPLAY_WINDOW_S,
    callout_signature,
    check_callout,
    check_canvas,
    check_zaf_token,
    check_zendesk_webhook,
)
from tests.hostile.conftest import CASES, EXAMPLES

PROPERTY = settings(max_examples=EXAMPLES * 4, deadline=timedelta(seconds=2), derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
JSON = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner,
                                                                                        max_size=5), max_leaves=20)
NUMBERISH = st.one_of(st.integers(), st.text(max_size=20), st.sampled_from(["", " ", "12", "1e400", "-0", "NaN"]),
                      st.floats(), st.none(), st.lists(st.integers(), max_size=2))
NOW = datetime.now(timezone.utc)


# -- Zendesk webhook envelopes ------------------------------------------------------------------------------

@PROPERTY
@given(payload=st.one_of(JSON, st.fixed_dictionaries({
    "type": st.one_of(st.text(max_size=30), st.just(EVENT_PREFIX + "ticket.created"),
                      st.builds(lambda s: EVENT_PREFIX + s, st.text(max_size=20))),
    "id": NUMBERISH, "detail": st.one_of(JSON, st.fixed_dictionaries({"id": NUMBERISH, "actor_id": NUMBERISH}))}),
    st.fixed_dictionaries({"event": NUMBERISH, "ticket_id": NUMBERISH, "actor_id": NUMBERISH})))
def test_zendesk_envelopes_parse_or_fail_validation(payload):
    CASES["hypothesis"] += 1
    try:
        event = parse_event(payload)
    except ValidationError:
        return
    assert isinstance(event, ZendeskEvent) and (event.ticket_id is None or isinstance(event.ticket_id, int))


@PROPERTY
@given(timestamp=st.one_of(st.none(), st.text(max_size=40), st.datetimes().map(lambda d: d.isoformat())),
       signature=st.one_of(st.none(), st.text(max_size=60)), body=st.binary(max_size=200))
def test_zendesk_signature_check_refuses_or_passes_never_crashes(timestamp, signature, body):
    CASES["hypothesis"] += 1
    with pytest.raises(SignatureError):
        check_zendesk_webhook(secret="s", timestamp=timestamp, signature=signature, body=body, now=NOW)


# -- Salesforce Outbound Message SOAP -------------------------------------------------------------------------

def _envelope(org: str, notes: list[tuple[str, str, str]]) -> bytes:
    items = "".join(
        f'<Notification><Id>{nid}</Id><sObject xsi:type="sf:{kind}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
        f"<sf:Id>{rid}</sf:Id></sObject></Notification>" for nid, kind, rid in notes)
    return ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
            'envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><notifications '
            f'xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>{org}</OrganizationId>{items}'
            "</notifications></soapenv:Body></soapenv:Envelope>").encode()


XML_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)


@PROPERTY
@given(raw=st.one_of(
    st.binary(max_size=300),
    st.builds(_envelope, XML_TEXT, st.lists(st.tuples(XML_TEXT, st.sampled_from(["Case", "Contact", "Lead", "User"]),
                                                       XML_TEXT), max_size=4)),
    st.builds(_envelope, st.just("00D5g000004ACMEEA2"), st.lists(st.tuples(
        st.text("abc123", min_size=1, max_size=18), st.just("Contact"), st.text("0035g", min_size=15, max_size=18)),
        min_size=99, max_size=102)),
    st.sampled_from([b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
                     b"<a>" * 50, b"\xef\xbb\xbf<x/>", b"<x xmlns:y='z'><y:q/></x>"])))
def test_outbound_messages_parse_or_are_refused_with_a_reason(raw):
    CASES["hypothesis"] += 1
    try:
        message = parse_outbound(raw)
    except ValueError:
        return
    assert 1 <= len(message.notifications) <= 100
    assert all(len(n.record_id) in (15, 18) for n in message.notifications)


# -- Canvas signed request ------------------------------------------------------------------------------------

CANVAS_SECRET = "canvas-consumer-secret"


def _canvas(document: object, secret: str = CANVAS_SECRET) -> str:
    payload = base64.b64encode(json.dumps(document).encode()).decode()
    signature = base64.b64encode(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()).decode()
    return f"{signature}.{payload}"


@PROPERTY
@given(signed=st.one_of(st.text(max_size=120), st.builds(lambda a, b: f"{a}.{b}", st.text(max_size=40),
                                                         st.text(max_size=80)),
                        st.builds(_canvas, JSON), st.builds(_canvas, JSON, st.text(max_size=10))))
def test_canvas_requests_verify_or_are_refused(signed):
    CASES["hypothesis"] += 1
    try:
        document = check_canvas(signed, consumer_secret=CANVAS_SECRET, now=NOW)
    except SignatureError:
        return
    assert isinstance(document, dict)


@PROPERTY
@given(issued=st.one_of(NUMBERISH, st.integers(min_value=0, max_value=2**40),
                        st.integers(min_value=int(NOW.timestamp()) - 400, max_value=int(NOW.timestamp()) + 60)))
def test_a_canvas_request_is_accepted_only_when_freshly_issued(issued):
    CASES["hypothesis"] += 1
    try:
        check_canvas(_canvas({"algorithm": "HMACSHA256", "issuedAt": issued, "context": {}}),
                     consumer_secret=CANVAS_SECRET, now=NOW)
    except SignatureError:
        return
    seconds = issued / 1000 if isinstance(issued, int) and issued > 10**11 else issued  # Unix seconds or ms
    assert isinstance(issued, int) and not isinstance(issued, bool)
    assert -30 <= NOW.timestamp() - seconds <= 5 * 60


# -- ZAF signed-URL JWT ---------------------------------------------------------------------------------------

ZAF_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ZAF_PUBLIC = ZAF_KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
ZENDESK = "https://acme.zendesk.com"
HMAC_KEY = "not-the-app-key-but-a-long-hmac-secret"  # alg confusion: HS256 with some secret is refused
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _rs256(claims: dict) -> str:
    """Signed with the app's key, whatever the claims hold (PyJWT would refuse to encode odd ones)."""
    signing_input = _b64(b'{"alg":"RS256","typ":"JWT"}') + "." + _b64(json.dumps(claims).encode())
    signature = ZAF_KEY.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


CLAIM = st.one_of(NUMBERISH, JSON, st.just(f"{ZENDESK}/api/v2/apps/installations/1.json"), st.just("acme.zendesk.com"))


@PROPERTY
@given(token=st.one_of(
    st.text(max_size=200),
    st.builds(_rs256,
              st.fixed_dictionaries({"aud": CLAIM, "iss": CLAIM, "sub": CLAIM, "exp": st.one_of(
                  st.integers(min_value=int(time.time()), max_value=int(time.time()) + 600), NUMBERISH),
                  "iat": st.one_of(st.just(int(time.time())), NUMBERISH), "context": JSON})),
    st.builds(lambda claims: jwt.encode(claims, HMAC_KEY, algorithm="HS256"),
              st.dictionaries(st.text(max_size=5), JSON, max_size=4))))
def test_zaf_tokens_verify_or_are_refused(token):
    CASES["hypothesis"] += 1
    try:
        claims = check_zaf_token(token, public_key=ZAF_PUBLIC, zendesk_url=ZENDESK)
    except SignatureError:
        return
    assert claims["aud"].startswith(f"{ZENDESK}/api/v2/apps/installations/")


# -- identities -----------------------------------------------------------------------------------------------

KINDS = ["plain", "email", "email_sha256", "phone", "phone_sha256", "ecid"]
SPEC = IdentitySpec(namespaces={"CRMID": "plain", "Email": "email", "Email_LC_SHA256": "email_sha256",
                                "Phone_E.164": "phone", "ECID": "ecid"},
                    candidates=(CandidateRule("crm_id", "CRMID", 1.0), CandidateRule("email", "Email", 0.95),
                                CandidateRule("email", "Email_LC_SHA256", 0.9),
                                CandidateRule("phone", "Phone_E.164", 0.7),
                                CandidateRule("identities.ECID", "ECID", 0.8)),
                    default_region="US")
VALUE = st.one_of(st.text(max_size=60), st.emails(), st.from_regex(r"\+?[0-9 ().-]{3,20}", fullmatch=True),
                  st.text(min_size=1020, max_size=1100))


@PROPERTY
@given(kind=st.sampled_from(KINDS), value=VALUE)
def test_identity_values_normalise_once_and_for_all_or_are_refused(kind, value):
    CASES["hypothesis"] += 1
    try:
        normal = normalise(kind, value, region="US")
    except IdentityValueError:
        return
    assert normalise(kind, normal, region="US") == normal  # idempotent: a stored value looks itself up
    assert 0 < len(normal) <= 1024
    masked = mask(kind, normal)
    assert len(normal) < 5 or masked != normal
    assert len(digest(Identity("Email", normal))) == 64


@PROPERTY
@given(email=st.one_of(st.none(), VALUE), phone=st.one_of(st.none(), VALUE), crm_id=st.one_of(st.none(), VALUE),
       extra=st.dictionaries(st.sampled_from(["ECID", "ecid", "Other"]), st.text(max_size=40), max_size=2))
def test_contact_candidates_never_fail(email, phone, crm_id, extra):
    CASES["hypothesis"] += 1
    found, skipped = candidates(Contact(email=email, phone=phone, crm_id=crm_id, identities=extra), SPEC)
    assert len(found) + len(skipped) >= 1
    assert len({c.identity for c in found}) == len(found)


# -- Flow/Apex callout signature and timestamp ---------------------------------------------------------------

@PROPERTY
@given(timestamp=st.one_of(st.none(), st.text(max_size=25), st.sampled_from(["nan", "NaN", "inf", "-inf", "1e309",
                                                                              "0x10", " 1 ", "١٢٣"])),
       signature=st.one_of(st.none(), st.text(max_size=50)), body=st.binary(max_size=100))
def test_callout_checks_refuse_unsigned_input_never_crash(timestamp, signature, body):
    CASES["hypothesis"] += 1
    with pytest.raises(SignatureError):
        check_callout(secret="s", method="POST", path="/salesforce/events", timestamp=timestamp,
                      signature=signature, body=body, now=NOW)


@PROPERTY
@given(timestamp=st.one_of(st.sampled_from(["nan", "NaN", "inf", "1e3", f"{NOW.timestamp()}", " 1 "]),
                           st.integers(min_value=-2**40, max_value=2**40).map(str), st.text(max_size=12)))
def test_a_signed_callout_is_accepted_only_with_an_integer_timestamp_in_the_window(timestamp):
    CASES["hypothesis"] += 1
    body = b"{}"
    signature = callout_signature(secret="s", method="POST", path="/p", timestamp=timestamp, body=body)
    try:
        check_callout(secret="s", method="POST", path="/p", timestamp=timestamp, signature=signature, body=body,
                      now=NOW)
    except SignatureError:
        return
    assert timestamp.isascii() and timestamp.strip().lstrip("-").isdigit()
    assert abs(int(timestamp) - NOW.timestamp()) <= REPLAY_WINDOW_S
