"""An identity namespace AEP refuses is that candidate's failure: the adapter says so, the lookup goes on."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from connector import errors
from connector.adapters.aep import AepClient
from connector.core.models import Contact, EventPage, Identity, Profile
from connector.services.cache import ProfileCache
from connector.services.lookup import NAMESPACE_UNKNOWN, ProfileLookup
from tests.helpers import default_manifest
from tests.unit.test_aep_adapter import ENTITIES, SETTINGS, TOKEN_URL, Clock, calls, query, token_response

REFUSED = {"type": "http://ns.adobe.com/aep/errors/UPS-1005-400", "status": 400,
           "title": "Identity namespace CRMID is not defined in this sandbox"}


@pytest.fixture()
def aep():
    clock = Clock()
    return AepClient(SETTINGS, sleep=clock.sleep, clock=clock)


def test_a_refused_namespace_raises_namespace_unknown_after_one_request(requests_mock, aep):
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(ENTITIES, status_code=400, json=REFUSED)
    with pytest.raises(errors.NamespaceUnknown) as info:
        aep.get_profile(Identity("CRMID", "C-1"), fields=["person.name"])
    (sent,) = calls(requests_mock, ENTITIES)
    assert query(sent)["entityIdNS"] == ["CRMID"] and query(sent)["entityId"] == ["C-1"]
    assert info.value.upstream_status == 400 and not info.value.retryable and "C-1" not in info.value.message


def test_other_client_errors_are_not_read_as_a_namespace_problem(requests_mock, aep):
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(ENTITIES, status_code=400, json={"type": "http://ns.adobe.com/aep/errors/UPS-1003-400",
                                                       "status": 400, "title": "Merge policy not found"})
    with pytest.raises(errors.UpstreamError) as info:
        aep.get_profile(Identity("Email", "a@b.c"), fields=["person.name"])
    assert not isinstance(info.value, errors.NamespaceUnknown) and "UPS-1003-400" in info.value.message


class NoCrmid:
    """A profile source whose sandbox lacks CRMID."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def get_profile(self, identity, *, fields):
        self.asked.append(identity.namespace)
        if identity.namespace == "CRMID":
            raise errors.NamespaceUnknown("AEP does not know CRMID", service="AEP", upstream_status=400)
        return Profile("E-1", {"person": {"name": {"firstName": "Jane"}}}, None, ())

    def get_events(self, identity, *, limit, max_pages, fields):
        return EventPage()

    def segment_names(self, ids):
        return {}


def test_lookup_goes_on_to_the_next_candidate_and_remembers_the_refusal():
    source = NoCrmid()
    with ThreadPoolExecutor(2) as executor:
        lookup = ProfileLookup(aep=source, manifest=default_manifest(), cache=ProfileCache(ttl=60), executor=executor)
        contact = Contact(email="jane@example.com", crm_id="C-1")
        card = lookup.by_contact(contact)
        again = lookup.by_contact(Contact(email="joe@example.com", crm_id="C-2"))
    assert card.status == "found" and card.matched.namespace == "Email"
    first = card.match[0]
    assert (first.namespace, first.outcome, first.reason) == ("CRMID", "namespace_unknown", NAMESPACE_UNKNOWN)
    assert again.match[0].outcome == "namespace_unknown"
    assert source.asked == ["CRMID", "Email", "Email"]  # CRMID asked once, then known to be missing
