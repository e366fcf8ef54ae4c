"""Outbound Message pieces without a network: strict record ids, the session cache, the budget."""
from __future__ import annotations

import threading

import pytest

from connector import errors
from connector.adapters.ratelimit import Budget
from connector.schemas.salesforce import id_checksum, parse_outbound, record_id_ok
from connector.services.salesforce.outbound import OutboundGate

ORG = "00D5g000004ACMEEA2"


@pytest.mark.parametrize("id15, suffix", [
    ("003n000000NOtUb", "AAL"),  # the captured Outbound Message in reference/salesforce.md §3.1
    ("04ln0000009JvY4", "AAK"),
    ("001n000000KABYL", "AA5"),
    ("001A0000006Vm9r", "IAC"),
    ("0035g0000000001", "AAA"),
])
def test_checksum_suffix_of_real_ids(id15, suffix):
    assert id_checksum(id15) == suffix


@pytest.mark.parametrize("value, kind, ok", [
    ("003n000000NOtUbAAL", "Contact", True),
    ("003n000000NOtUb", "Contact", True),
    ("003n000000NOtUbAAA", "Contact", False),  # checksum of another id
    ("003n000000NOtUbaal", "Contact", False),  # the suffix is case-sensitive
    ("003n000000NOtUbAAL", "Lead", False),  # key prefix of another object
    ("00Q5g0000000001EAA", "Lead", True),  # Q is upper-case: E
    ("00Q5g0000000001AAA", "Lead", False),
    ("5005g0000000001AAA", "Case", True),
    ("0015g0000000001AAA", "Account", False),  # an object the connector does not handle
    ("003n000000NOtU", "Contact", False),
    ("003n000000NOtUbAA", "Contact", False),
    ("003n000000NOtUbAAL0", "Contact", False),
    ("003n000000NOtU-AAL", "Contact", False),
    ("003n000000NOtUé", "Contact", False),
    ("003" + "0" * 5011, "Contact", False),
    ("", "Contact", False),
])
def test_record_ids_are_checked_strictly(value, kind, ok):
    assert record_id_ok(value, kind) is ok


def _message(session: str) -> bytes:
    return ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
            f'<notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>{ORG}</OrganizationId>'
            f'{session}<Notification><Id>04l5g0000000001AAA</Id><sObject xsi:type="sf:Contact" '
            'xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>0035g0000000001AAA</sf:Id></sObject>'
            '</Notification></notifications></soapenv:Body></soapenv:Envelope>').encode()


@pytest.mark.parametrize("element, expected", [
    ('<SessionId xsi:nil="true"/>', None),
    ("", None),
    ("<SessionId>00D5g000004ACME!AQ8AQabcdef</SessionId>", "00D5g000004ACME!AQ8AQabcdef"),
])
def test_the_session_id_is_read_and_nil_means_none(element, expected):
    assert parse_outbound(_message(element)).session_id == expected


@pytest.mark.parametrize("session", ["with space inside it", "x" * 1025, "short"])
def test_a_malformed_session_id_is_refused(session):
    with pytest.raises(ValueError, match="SessionId"):
        parse_outbound(_message(f"<SessionId>{session}</SessionId>"))


INTEGRATION_USER, AGENT_USER = "0055g00000INTEGAAA", "0055g00000AGENTAAA"


class FakeSalesforce:
    """Answers userinfo: ``answers`` maps a session to its org (user: the integration user) or (org, user)."""

    def __init__(self, answers: dict[str, str | tuple[str, str] | None]) -> None:
        self.answers, self.asked = answers, []

    def session_owner(self, session_id: str) -> tuple[str, str] | None:
        self.asked.append(session_id)
        answer = self.answers.get(session_id)
        return (answer, INTEGRATION_USER) if isinstance(answer, str) else answer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def gate(salesforce: FakeSalesforce, clock: Clock, **kwargs) -> OutboundGate:
    return OutboundGate(owner_of=salesforce.session_owner, budget=Budget(name="t", limit=10, window_s=60, clock=clock),
                        clock=clock, **kwargs)


def test_a_verified_session_is_asked_once_until_it_expires_from_the_cache():
    salesforce, clock = FakeSalesforce({"s1": ORG}), Clock()
    checks = gate(salesforce, clock, ttl_s=300)
    assert all(checks.session_belongs_to("s1", ORG[:15]) for _ in range(50))
    assert salesforce.asked == ["s1"]
    clock.now += 301
    assert checks.session_belongs_to("s1", ORG)
    assert salesforce.asked == ["s1", "s1"]


def test_sessions_of_other_orgs_and_unknown_sessions_are_refused_and_remembered_briefly():
    salesforce, clock = FakeSalesforce({"other": "00D5g000004OTHEREA"}), Clock()
    checks = gate(salesforce, clock, refused_ttl_s=60)
    assert not checks.session_belongs_to("other", ORG)
    assert not checks.session_belongs_to("forged", ORG)
    assert not checks.session_belongs_to("forged", ORG)
    assert salesforce.asked == ["other", "forged"]
    clock.now += 61
    assert not checks.session_belongs_to("forged", ORG)
    assert salesforce.asked == ["other", "forged", "forged"]


def test_the_cache_is_bounded():
    salesforce, clock = FakeSalesforce({f"s{i}": ORG for i in range(5)}), Clock()
    checks = gate(salesforce, clock, max_sessions=3)
    for i in range(5):
        checks.session_belongs_to(f"s{i}", ORG)
    checks.session_belongs_to("s4", ORG)  # still cached
    checks.session_belongs_to("s0", ORG)  # evicted: asked again
    assert salesforce.asked == ["s0", "s1", "s2", "s3", "s4", "s0"]


def test_concurrent_messages_with_one_session_cost_one_call():
    release = threading.Event()
    asked = []

    def slow_org(session_id: str) -> tuple[str, str]:
        asked.append(session_id)
        release.wait(5)
        return ORG, "005000000000001"

    checks = OutboundGate(owner_of=slow_org, budget=Budget(name="t", limit=10, window_s=60))
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(checks.session_belongs_to("s", ORG)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(5)
    assert results == [True] * 8 and asked == ["s"]


def test_without_an_instance_there_is_nothing_to_ask():
    checks = OutboundGate(owner_of=None, budget=Budget(name="t", limit=10, window_s=60))
    with pytest.raises(errors.ConfigError):
        checks.session_belongs_to("s", ORG)


def test_the_budget_admits_until_spent_then_names_the_wait():
    clock = Clock()
    clock.now = 60 * 100 + 15.0
    checks = gate(FakeSalesforce({}), clock)
    assert checks.admit(6) is None and checks.admit(4) is None
    assert checks.admit(1) == pytest.approx(45.0)
    clock.now += 45
    assert checks.admit(10) is None


def test_checks_of_unknown_sessions_are_capped_per_minute_but_known_ones_still_pass():
    salesforce, clock = FakeSalesforce({"good": ORG}), Clock()
    clock.now = 60 * 100.0
    checks = OutboundGate(owner_of=salesforce.session_owner,
                          budget=Budget(name="t", limit=10, window_s=60, clock=clock),
                          checks=Budget(name="c", limit=3, window_s=60, clock=clock), clock=clock)
    assert checks.session_belongs_to("good", ORG)
    assert not checks.session_belongs_to("forged-1", ORG) and not checks.session_belongs_to("forged-2", ORG)
    with pytest.raises(errors.UpstreamRateLimited):
        checks.session_belongs_to("forged-3", ORG)
    assert checks.session_belongs_to("good", ORG)  # cached: no check needed
    assert salesforce.asked == ["good", "forged-1", "forged-2"]
    clock.now += 60
    assert not checks.session_belongs_to("forged-3", ORG)
    assert salesforce.asked[-1] == "forged-3"


def test_a_flood_of_forged_sessions_cannot_lock_out_a_session_verified_before():
    salesforce, clock = FakeSalesforce({"good": ORG}), Clock()
    clock.now = 3600 * 10.0
    checks = OutboundGate(owner_of=salesforce.session_owner,
                          budget=Budget(name="t", limit=10, window_s=60, clock=clock),
                          checks=Budget(name="c", limit=2, window_s=3600, clock=clock), ttl_s=300, clock=clock)
    assert checks.session_belongs_to("good", ORG)
    clock.now += 301  # out of the 5-minute cache, as a long-lived sender session is
    assert not checks.session_belongs_to("forged-1", ORG)  # the second check of this hour: the cap is spent
    with pytest.raises(errors.UpstreamRateLimited):  # the cap of never-seen sessions is spent by forgeries
        checks.session_belongs_to("forged-2", ORG)
    assert checks.session_belongs_to("good", ORG)  # checked again, outside the cap
    assert salesforce.asked == ["good", "forged-1", "good"]


def test_a_session_of_another_org_does_not_become_known():
    salesforce, clock = FakeSalesforce({"other": "00D5g000004OTHEREA"}), Clock()
    clock.now = 3600 * 10.0
    checks = OutboundGate(owner_of=salesforce.session_owner,
                          budget=Budget(name="t", limit=10, window_s=60, clock=clock),
                          checks=Budget(name="c", limit=1, window_s=3600, clock=clock), ttl_s=300, clock=clock)
    assert not checks.session_belongs_to("other", ORG)
    clock.now += 301
    with pytest.raises(errors.UpstreamRateLimited):
        checks.session_belongs_to("other", ORG)


def test_with_a_sending_user_named_only_that_users_sessions_belong():
    salesforce, clock = FakeSalesforce({"integration": ORG, "agent": (ORG, AGENT_USER)}), Clock()
    checks = gate(salesforce, clock)
    assert checks.session_belongs_to("integration", ORG, INTEGRATION_USER[:15])
    assert not checks.session_belongs_to("agent", ORG, INTEGRATION_USER)
    assert checks.session_belongs_to("agent", ORG)  # without a named user: any user of the org


@pytest.mark.parametrize("environ, problem", [
    ({"CONNECTOR_SALESFORCE_OUTBOUND_TOKEN": "short"}, "CONNECTOR_SALESFORCE_OUTBOUND_TOKEN"),
    ({"CONNECTOR_SALESFORCE_OUTBOUND_CLIENT_CERT_HEADER": "X-Verify: SUCCESS"},
     "CONNECTOR_SALESFORCE_OUTBOUND_CLIENT_CERT_HEADER"),
    ({"CONNECTOR_SALESFORCE_OUTBOUND_PER_MINUTE": "0"}, "CONNECTOR_SALESFORCE_OUTBOUND_PER_MINUTE"),
])
def test_outbound_settings_are_validated_at_start(environ, problem):
    from connector.config import load_settings

    with pytest.raises(errors.ConfigError, match=problem):
        load_settings(environ)


def test_outbound_settings_defaults_and_values():
    from connector.config import load_settings

    assert load_settings({}).salesforce_outbound_per_minute == 300
    settings = load_settings({"CONNECTOR_SALESFORCE_OUTBOUND_TOKEN": "t" * 24,
                              "CONNECTOR_SALESFORCE_OUTBOUND_CLIENT_CERT_HEADER": "X-Client-Verify"})
    assert settings.salesforce_outbound_client_cert_header == "X-Client-Verify"
    assert "t" * 24 not in repr(settings)  # a secret: never in logs or tracebacks
