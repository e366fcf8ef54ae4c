"""The agent's language: catalogs, locale negotiation, CLDR formats and the French card, note and text card."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from connector.adapters.aep_bodies import events_from as _events
from connector.adapters.aep_bodies import profiles_from as _profiles
from connector.core.card import build_card
from connector.core.formats import display, timestamp
from connector.core.identity import candidates
from connector.core.lang import ENGLISH
from connector.core.models import Attempt, Contact, EventPage
from connector.core.writeplan import note_text
from connector.i18n import best, lang_for
from connector.textcard import render
from tests.helpers import default_manifest, fixture, with_consent

FR = lang_for("fr_FR")
NNBSP, NBSP = "\u202f", "\u00a0"  # CLDR fr: narrow no-break space groups thousands; no-break space before € and %
MATCH = [Attempt("Email", "email", "j***@example.com", "matched", "AEP returned a profile for this identity", 0.95)]


def test_a_french_agent_sees_a_eur_lifetime_value_the_french_way():
    # Babel's exact output: "4 821,37 €" with U+202F between the thousands and U+00A0 before the sign.
    assert display(4821.37, "currency", currency="EUR", lang=FR) == f"4{NNBSP}821,37{NBSP}€"
    assert display(4821.37, "currency", currency="EUR", lang=ENGLISH) == "€4,821.37"
    assert display(4821.37, "currency", currency="USD", lang=FR) == f"4{NNBSP}821,37{NBSP}$US"


@pytest.mark.parametrize("value, fmt, english, french", [
    ("0.82", "percent", "82%", f"82{NBSP}%"),
    (1520.0, "integer", "1,520", f"1{NNBSP}520"),
    (1234.567, "number", "1,234.57", f"1{NNBSP}234,57"),
    ("2019-04-15T02:41:50.000+0000", "date", "Apr 15, 2019", "15 avr. 2019"),
    ("2019-04-15T14:41:50Z", "datetime", "Apr 15, 2019, 2:41\u202fPM UTC", "15 avr. 2019, 14:41 UTC"),
    ({"val": "y"}, "consent", "Yes", "Oui"),
    ("dn", "consent", "Default no", "Non par défaut"),
    (True, "boolean", "Yes", "Oui"),
    (None, "currency", "—", "—"),
])
def test_formats_follow_the_locale(value, fmt, english, french):
    assert display(value, fmt) == english
    assert display(value, fmt, lang=FR) == french


@pytest.mark.parametrize("tag, locale, refresh", [
    ("fr", "fr", "Actualiser"), ("fr-FR", "fr_FR", "Actualiser"), ("fr_ca", "fr_CA", "Actualiser"),
    ("en-US", "en_US", "Refresh"), ("de", "en", "Refresh"), ("xx-YY", "en", "Refresh"), ("", "en", "Refresh"),
    (None, "en", "Refresh"), ("../../etc", "en", "Refresh"),
])
def test_unknown_locales_fall_back_to_english(tag, locale, refresh):
    lang = lang_for(tag)
    assert lang.locale == locale and lang._("Refresh") == refresh


def test_the_first_supported_preference_wins():
    assert best(["de-DE", "fr-CH", "en"]).locale == "fr_CH"
    assert best(["de", "it"]) is ENGLISH


def test_a_message_with_placeholders_is_filled_in_the_translation():
    assert FR._("as of %(when)s", when="20 nov. 2026") == "au 20 nov. 2026"
    assert ENGLISH._("as of %(when)s", when="Nov 20, 2026") == "as of Nov 20, 2026"


def _card(lang=ENGLISH, currency_code=None):
    document = with_consent(fixture("aep", "profile__tutorial_identitymap"))  # personalisation granted
    if currency_code:
        next(iter(document.values()))["entity"]["_acme"]["currencyCode"] = currency_code
    profile = _profiles(document)[0]
    events = _events(fixture("aep", "events__page1"))
    return build_card(manifest=default_manifest(), profile=profile, match=MATCH, confidence=0.95,
                      segment_names={}, events=EventPage(tuple(events)), lang=lang).to_dict()


def _item(card, key):
    return next(i for s in card["sections"] if s["kind"] == "attributes" for i in s["items"] if i["key"] == key)


def test_the_french_card_keeps_machine_values_and_adds_french_display_strings():
    english, french = _card(), _card(FR)
    assert french["locale"] == "fr_FR" and english["locale"] == "en"
    ltv = _item(french, "lifetime_value")
    assert ltv["value"] == _item(english, "lifetime_value")["value"] == 2450.5
    assert ltv["label"] == "Valeur vie client" and ltv["currency"] == "USD"  # the manifest's default
    assert ltv["display"] == f"2{NNBSP}450,50{NBSP}$US"
    churn = _item(french, "churn_propensity")
    assert churn["badge"] == {"level": "high", "label": "Risque élevé"} and churn["display"] == f"82{NBSP}%"
    assert [s["title"] for s in french["sections"]][:2] == ["Client", "Valeur et risque"]
    assert french["lastModifiedAt"] == english["lastModifiedAt"] == "2018-09-18T02:07:42Z"
    assert french["lastModifiedDisplay"] == "18 sept. 2018, 02:07 UTC"
    assert english["lastModifiedDisplay"] == "Sep 18, 2018, 2:07\u202fAM UTC"


def test_the_profile_currency_code_wins_over_the_manifest_default():
    ltv = _item(_card(FR, currency_code="eur"), "lifetime_value")
    assert ltv["currency"] == "EUR" and ltv["display"] == f"2{NNBSP}450,50{NBSP}€"
    assert _item(_card(currency_code="not-a-code"), "lifetime_value")["display"] == "$2,450.50"


def test_events_carry_french_labels_dates_and_amounts():
    french = _card(FR)
    purchases = next(s for s in french["sections"] if s["key"] == "purchases")
    assert purchases["title"] == "Achats récents" and purchases["items"]
    first = purchases["items"][0]
    assert first["label"] == "Achat" and first["timestamp"].endswith("Z")
    moment = datetime.fromisoformat(first["timestamp"].replace("Z", "+00:00"))
    assert first["date_display"] == timestamp(moment, lang=FR, date_only=True)
    assert first["display_amount"].endswith(f"{NBSP}$US") or first["display_amount"].endswith(f"{NBSP}€")


def test_identity_reasons_are_in_the_agents_language():
    _found, skipped = candidates(Contact(email="not-an-email"), default_manifest().identity, lang=FR)
    reasons = {a.outcome: a.reason for a in skipped}
    assert reasons["invalid"] == "pas une adresse e-mail"
    assert reasons["missing"] in {"le contact n’a pas de téléphone", "le contact n’a pas d’identifiant CRM"}


def test_the_note_is_written_in_the_accounts_language():
    document = with_consent(fixture("aep", "profile__tutorial_identitymap"))  # personalisation granted
    profile = _profiles(document)[0]
    card = build_card(manifest=default_manifest(), profile=profile, match=MATCH, confidence=0.95,
                      segment_names={}, events=EventPage(), lang=FR)
    note = note_text(card, lang=FR)
    assert note.startswith(f"Profil client AEP\nIdentifié par Email (j***@example.com), confiance 95{NBSP}%")
    assert f"Valeur vie client{NBSP}: 2{NNBSP}450,50{NBSP}$US" in note  # French: a no-break space before ":"
    assert "Profil mis à jour le 18 sept. 2018, 02:07 UTC" in note
    english = note_text(build_card(manifest=default_manifest(), profile=profile, match=MATCH, confidence=0.95,
                                   segment_names={}, events=EventPage()))
    assert english.startswith("AEP customer profile\nMatched by Email (j***@example.com), confidence 95%")


def test_the_text_card_in_french():
    text = render(_card(FR), lang=FR)
    assert text.startswith("Profil trouvé  (profil A29cgveD5y64ezlhxjUXNzcm, mis à jour le 18 sept. 2018")
    assert "Comment le client a été identifié :" in text and "  trouvé " in text
    assert "Valeur vie client" in text and "Lifetime value" not in text


def test_english_stays_the_default_everywhere():
    moment = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
    assert timestamp(moment) == "Nov 20, 2026, 12:00\u202fPM UTC"
    assert render(_card()).startswith("Profile found")
