from datetime import datetime, timezone

import pytest

from connector.adapters.aep_bodies import events_from as _events
from connector.adapters.aep_bodies import profiles_from as _profiles
from connector.core.card import build_card, get_path
from connector.core.formats import badge, display
from connector.core.manifest import Badge
from connector.core.models import Attempt, EventPage
from tests.helpers import default_manifest, fixture, with_consent

UTC = timezone.utc
MATCH = [Attempt("Email", "email", "j***@example.com", "matched", "AEP returned a profile", 0.95)]


def _card(profile_fixture="profile__tutorial_identitymap", events=None, names=None):
    profile = _profiles(with_consent(fixture("aep", profile_fixture)))[0]
    return build_card(manifest=default_manifest(), profile=profile, match=MATCH, confidence=0.95,
                      segment_names=names or {}, events=events or EventPage())


def _section(card, key):
    return next(s for s in card.to_dict()["sections"] if s["key"] == key)


@pytest.mark.parametrize("value, fmt, expected", [
    (2450.5, "currency", "$2,450.50"),
    (-3, "currency", "-$3.00"),
    ("0.82", "percent", "82%"),
    (73, "percent", "73%"),
    (1520.0, "integer", "1,520"),
    ("2019-04-15T02:41:50.000+0000", "date", "Apr 15, 2019"),
    ({"firstName": "Jane", "middleName": "F", "lastName": "Doe"}, "name", "Jane F Doe"),
    ({"val": "y"}, "consent", "Yes"),
    ("n", "consent", "No"),
    (None, "currency", "—"),
    ("", "text", "—"),
    ("n/a", "currency", "n/a"),
    (["a", "b"], "list", "a, b"),
])
def test_display_formats(value, fmt, expected):
    assert display(value, fmt) == expected


def test_display_uses_the_currency_code():
    assert display(10, "currency", currency="EUR") == "€10.00"
    assert display(10, "currency", currency="CHF") == "CHF10.00"  # CLDR en: code as the symbol


@pytest.mark.parametrize("value, level", [(0.7, "high"), (0.69, "medium"), (0.1, "low"), ("0.9", "high"),
                                          (None, None), ("high", None)])
def test_badge_thresholds(value, level):
    badges = (Badge(0.0, "low", "Low"), Badge(0.7, "high", "High"), Badge(0.4, "medium", "Medium"))
    result = badge(value, badges)
    assert (result or {}).get("level") == level


def test_get_path_reads_dotted_paths_and_lists():
    data = {"a": {"b": 1}, "items": [{"name": "x"}, {"name": "y"}, {"other": 1}]}
    assert get_path(data, "a.b") == 1
    assert get_path(data, "items[].name") == ["x", "y"]
    assert get_path(data, "a.missing.deep") is None
    assert get_path(data, "a.b[].x") is None


def test_card_shows_attributes_with_formats_badges_and_freshness():
    card = _card()
    value = _section(card, "value")
    by_key = {i["key"]: i for i in value["items"]}
    assert by_key["lifetime_value"]["display"] == "$2,450.50"
    assert by_key["churn_propensity"]["display"] == "82%"
    assert by_key["churn_propensity"]["badge"] == {"level": "high", "label": "High risk"}
    assert by_key["loyalty_tier"]["display"] == "gold"
    assert value["freshness"] == "2018-09-18T02:07:42Z"
    customer = _section(card, "customer")
    assert customer["items"][0]["display"] == "Jane F Doe"
    assert card.profile_id == "A29cgveD5y64ezlhxjUXNzcm"


def test_card_lists_current_audiences_only_with_names_newest_first():
    names = {"fea8d394-5a8c-4cea-bebc-df020ce37f5c": "Recent purchasers"}
    audiences = _section(_card(names=names), "audiences")
    assert [(i["name"], i["status"]) for i in audiences["items"]] == [
        ("Recent purchasers", "realized"),
        ("54669488-03ab-4e0d-a694-37fe49e32be8", "existing"),  # no name known: the id stands in
    ]
    assert audiences["freshness"] == "2022-01-13T11:33:28.211895Z"


def test_card_splits_events_into_sections_newest_first():
    events = EventPage(tuple(_events(fixture("aep", "events__page1")) + _events(fixture("aep", "events__last_page"))))
    card = _card(events=events)
    purchases = _section(card, "purchases")
    assert purchases["items"][0]["title"] == "Trail shoes"
    assert purchases["items"][0]["display_amount"] == "€129.00"
    assert purchases["freshness"] == "2018-07-10T22:07:56Z"
    campaigns = _section(card, "campaigns")
    assert [(i["label"], i["title"]) for i in campaigns["items"]] == [("E-mail opened", "Winter sale")]


def test_card_says_why_events_are_missing():
    card = _card(events=EventPage(unavailable="Recent activity is not available"))
    purchases = _section(card, "purchases")
    assert purchases["items"] == [] and purchases["notice"] == "Recent activity is not available"


def test_card_below_write_threshold_is_shown_but_not_writable():
    profile = _profiles(fixture("aep", "profile__doc_example"))[0]
    card = build_card(manifest=default_manifest(), profile=profile, match=MATCH, confidence=0.7,
                      segment_names={}, events=EventPage())
    data = card.to_dict()
    assert data["status"] == "found"
    assert data["match"]["writable"] is False
    assert data["match"]["matched"]["namespace"] == "Email"
    assert card.last_modified_at == datetime(2018, 8, 28, 20, 57, 24, tzinfo=UTC)
