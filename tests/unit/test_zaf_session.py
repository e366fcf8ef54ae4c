"""Pure pieces of the Zendesk trust boundary: the agent a ZAF token names, the digest of a delivery."""
from __future__ import annotations

import pytest

from connector.errors import SignatureError
from connector.web.verify import delivery_digest, zaf_agent_id

BASE = "https://acme.zendesk.com"


@pytest.mark.parametrize("sub, agent", [(f"{BASE}/api/v2/users/5.json", 5), (f"{BASE}/api/v2/users/361.json", 361),
                                        (f"{BASE}/api/v2/users/42", 42), ("77", 77)])
def test_the_agent_is_the_user_the_token_names(sub, agent):
    assert zaf_agent_id({"sub": sub}, zendesk_url=BASE + "/") == agent


@pytest.mark.parametrize("sub", [None, "", "agent", "https://other.zendesk.com/api/v2/users/5.json",
                                 f"{BASE}/api/v2/users/me.json", f"{BASE}/api/v2/users/5.json/../6.json",
                                 f"{BASE}/api/v2/users/-5.json", f"{BASE}/api/v2/users/{'9' * 30}.json"])
def test_a_token_naming_no_agent_of_our_account_is_refused(sub):
    with pytest.raises(SignatureError):
        zaf_agent_id({"sub": sub}, zendesk_url=BASE)


def test_the_delivery_digest_covers_signature_timestamp_and_body():
    base = delivery_digest(signature="c2ln", timestamp="2026-11-30T10:00:00Z", body=b'{"ticket_id": "7"}')
    assert len(base) == 64 and base == delivery_digest(signature="c2ln", timestamp="2026-11-30T10:00:00Z",
                                                       body=b'{"ticket_id": "7"}')
    others = {delivery_digest(signature="c2lm", timestamp="2026-11-30T10:00:00Z", body=b'{"ticket_id": "7"}'),
              delivery_digest(signature="c2ln", timestamp="2026-11-30T10:00:01Z", body=b'{"ticket_id": "7"}'),
              delivery_digest(signature="c2ln", timestamp="2026-11-30T10:00:00Z", body=b'{"ticket_id": "8"}'),
              delivery_digest(signature="c2ln2026-11-30T10:00:00Z", timestamp="", body=b'{"ticket_id": "7"}')}
    assert base not in others and len(others) == 4  # parts are length-prefixed: no shifting between them
