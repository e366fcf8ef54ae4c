import hashlib

import pytest

from connector.core.identity import IdentityValueError, candidates, direct_candidate, mask, normalise
from connector.core.manifest import CandidateRule, IdentitySpec
from connector.core.models import Contact, Identity

SPEC = IdentitySpec(
    namespaces={"CRMID": "plain", "Email": "email", "Email_LC_SHA256": "email_sha256",
                "Phone_E.164": "phone", "Phone_SHA256": "phone_sha256", "ECID": "ecid"},
    candidates=(
        CandidateRule("crm_id", "CRMID", 1.0),
        CandidateRule("email", "Email", 0.95),
        CandidateRule("email", "Email_LC_SHA256", 0.9),
        CandidateRule("phone", "Phone_E.164", 0.7),
        CandidateRule("identities.ECID", "ECID", 0.8),
    ),
    default_region="US",
)
JANE_SHA = hashlib.sha256(b"jane.doe@example.com").hexdigest()


@pytest.mark.parametrize("kind, raw, expected", [
    ("email", "  Jane.Doe@Example.COM ", "jane.doe@example.com"),
    ("email_sha256", " Jane.Doe@Example.COM", JANE_SHA),
    ("email_sha256", JANE_SHA.upper(), JANE_SHA),
    ("phone", "(415) 327-0001", "+14153270001"),
    ("phone", "+44 20 7946 0958", "+442079460958"),
    ("phone_sha256", "415.327.0001", hashlib.sha256(b"+14153270001").hexdigest()),
    ("ecid", "29472190934192668199809363530932742934", "29472190934192668199809363530932742934"),
    ("plain", "  CRM000001 ", "CRM000001"),
])
def test_normalise_gives_the_lookup_form(kind, raw, expected):
    assert normalise(kind, raw, region="US") == expected


@pytest.mark.parametrize("kind, raw, message", [
    ("email", "not-an-email", "not an e-mail address"),
    ("email", "   ", "empty"),
    ("phone", "12", "not a valid phone number"),
    ("phone", "call me", "not a phone number"),
    ("ecid", "1234", "38 digits"),
    ("plain", "x" * 1025, "1024"),
])
def test_normalise_refuses_malformed_values(kind, raw, message):
    with pytest.raises(IdentityValueError, match=message):
        normalise(kind, raw, region="US")


def test_phone_default_region_is_used_for_national_numbers():
    assert normalise("phone", "020 7946 0958", region="GB") == "+442079460958"


def test_candidates_follow_manifest_order_and_explain_the_ones_skipped():
    contact = Contact(email=" Jane.Doe@Example.com", phone="bogus", crm_id=None)
    found, skipped = candidates(contact, SPEC)
    assert [c.identity for c in found] == [
        Identity("Email", "jane.doe@example.com"),
        Identity("Email_LC_SHA256", JANE_SHA),
    ]
    assert [c.confidence for c in found] == [0.95, 0.9]
    assert [(a.namespace, a.outcome) for a in skipped] == [
        ("CRMID", "missing"), ("Phone_E.164", "invalid"), ("ECID", "missing"),
    ]
    assert "phone number" in skipped[1].reason


def test_candidates_read_other_namespaces_case_insensitively_and_drop_duplicates():
    spec = IdentitySpec(namespaces={"Email": "email", "ECID": "ecid"}, candidates=(
        CandidateRule("email", "Email", 1.0), CandidateRule("email", "Email", 0.5),
        CandidateRule("identities.ecid", "ECID", 0.8)))
    ecid = "1" * 38
    found, skipped = candidates(Contact(email="a@b.co", identities={"ECID": ecid}), spec)
    assert [c.identity for c in found] == [Identity("Email", "a@b.co"), Identity("ECID", ecid)]
    assert skipped == []


def test_direct_candidate_matches_namespace_codes_case_insensitively():
    candidate = direct_candidate("email", "JANE.DOE@example.com", SPEC)
    assert candidate.identity == Identity("Email", "jane.doe@example.com")
    with pytest.raises(KeyError):
        direct_candidate("Fax", "123", SPEC)


@pytest.mark.parametrize("kind, value, expected", [
    ("email", "jane.doe@example.com", "j***@example.com"),
    ("phone", "+14153270001", "+14******01"),
    ("email_sha256", JANE_SHA, JANE_SHA[:6] + "…"),
    ("plain", "CRM000001", "CR***01"),
    ("plain", "abc", "***"),
])
def test_mask_hides_the_value(kind, value, expected):
    assert mask(kind, value) == expected
