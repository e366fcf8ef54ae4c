"""JobKey: the one parse and format of a record's job key, sized to the store's columns."""
from __future__ import annotations

import pytest

from connector.core.jobkey import MAX_LENGTH, JobKey


def test_a_key_round_trips_through_its_text():
    key = JobKey.parse("salesforce:Case:5005g0000000001AAA")
    assert (key.provider, key.object, key.id) == ("salesforce", "Case", "5005g0000000001AAA")
    assert str(key) == "salesforce:Case:5005g0000000001AAA" and JobKey.parse(str(key)) == key
    assert key.sibling("Contact", "0035g0000000001AAA") == JobKey("salesforce", "Contact", "0035g0000000001AAA")


@pytest.mark.parametrize("text", ["", "zendesk:ticket", "zendesk:ticket:1:2", "Zendesk:ticket:1", "zendesk:1x:1",
                                  "zendesk:ticket:4 2", "zendesk:ticket:42\n", "a" * 21 + ":ticket:1",
                                  "zendesk:ticket:" + "9" * 65, None, 42])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError, match="record key"):
        JobKey.parse(text)


def test_no_key_is_longer_than_the_store_keeps():
    with pytest.raises(ValueError, match=str(MAX_LENGTH)):
        JobKey("a" * 20, "B" * 64, "c" * 40)
