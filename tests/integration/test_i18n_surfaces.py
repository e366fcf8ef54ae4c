"""A French agent gets the sidebar, the Salesforce card JSON, the Canvas page, the lookup API and the
note in French with French formats; an English agent (or an unknown locale) gets English."""
from __future__ import annotations

import json
import time
from html import unescape

import pytest

from connector import create_app
from connector.bundled import manifest_path
from connector.runtime import build_runtime
from connector.sandbox import seed
from connector.sandbox.salesforce import canvas_request, record_id
from connector.web.verify import callout_signature
from tests.conftest import API_KEY, CALLOUT_SECRET

NNBSP, NBSP = "\u202f", "\u00a0"
CUSTOMER = 3  # seed: ticket 3's requester, lifetime value 1,473.83 (a thousands separator to show)


@pytest.fixture()
def eur_mapping(tmp_path):
    """The shipped manifest with EUR as the account's default currency (the seed profiles carry none)."""
    text = manifest_path("mappings", "default.yaml").read_text(encoding="utf-8")
    path = tmp_path / "mapping.yaml"
    path.write_text(text.replace("\ncurrency: USD\n", "\ncurrency: EUR\n"), encoding="utf-8")
    return str(path)


@pytest.fixture()
def app_for():
    made = []

    def make(settings):
        runtime = build_runtime(settings)
        made.append(runtime)
        return runtime, create_app(runtime=runtime).test_client()
    yield make
    for runtime in made:
        runtime.close()


LTV_FR = f"1{NNBSP}473,83{NBSP}€"  # CLDR fr: U+202F groups thousands, U+00A0 before the sign


def test_the_seed_customer_has_the_lifetime_value_these_tests_expect():
    assert seed.profile_entity(CUSTOMER)["_acme"]["lifetimeValue"] == 1473.83


def _sidebar_card(client, zd, **body):
    page = client.post("/zendesk/sidebar?origin=https%3A%2F%2Facme.zendesk.com&app_guid=abc",
                       data={"token": zd.sidebar_token()})
    session = page.get_data(as_text=True).split('data-session="', 1)[1].split('"', 1)[0]
    return client.post("/zendesk/sidebar/card", json=body, headers={"Authorization": f"Bearer {session}"})


def test_the_sidebar_card_for_a_french_agent_is_french(zsettings, zd, eur_mapping, app_for):
    _, client = app_for(zsettings.replace(mapping=eur_mapping))
    html = _sidebar_card(client, zd, ticket_id=CUSTOMER, locale="fr").get_data(as_text=True)
    assert 'lang="fr"' in html
    assert "<dt>Valeur vie client</dt><dd>" + LTV_FR in html
    assert "Comment le client a été identifié" in html and ">Actualiser<" in html and ">Écrire dans le ticket<" in html
    for english in ("Lifetime value", "Refresh", "Write to ticket", "How the customer was matched", "as of"):
        assert english not in html


@pytest.mark.parametrize("locale", ["en-US", "de", None])
def test_an_english_or_unknown_locale_agent_sees_english(zsettings, zd, eur_mapping, app_for, locale):
    _, client = app_for(zsettings.replace(mapping=eur_mapping))
    html = _sidebar_card(client, zd, ticket_id=CUSTOMER, **({"locale": locale} if locale else {})).get_data(
        as_text=True)
    assert "<dt>Lifetime value</dt><dd>€1,473.83" in html and ">Write to ticket<" in html
    assert "Valeur vie client" not in html


def test_the_sidebar_page_speaks_the_browsers_language_until_zaf_answers(zclient, zd):
    page = zclient.post("/zendesk/sidebar?origin=https%3A%2F%2Facme.zendesk.com&app_guid=abc",
                        data={"token": zd.sidebar_token()}, headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert '<html lang="fr">' in html and "Chargement du profil client…" in html
    assert 'data-locale="fr_FR"' in html
    messages = json.loads(unescape(html.split('data-messages="', 1)[1].split('"', 1)[0]))
    assert messages["fr"]["Session expired: reload the app."] == "Session expirée : rechargez l’application."
    assert messages["en"]["Session expired: reload the app."] == "Session expired: reload the app."


def _signed_get(client, query):
    stamp = str(int(time.time()))
    signature = callout_signature(secret=CALLOUT_SECRET, method="GET", path=f"/salesforce/profile?{query}",
                                  timestamp=stamp, body=b"")
    return stamp, signature


def test_the_salesforce_card_json_is_french_for_a_fr_fr_user(sfsettings, sf, eur_mapping, app_for):
    _, client = app_for(sfsettings.replace(mapping=eur_mapping))
    query = f"recordId={record_id('Contact', CUSTOMER)}&locale=fr-FR"  # @salesforce/i18n/locale, via Apex
    stamp, signature = _signed_get(client, query)
    response = client.get(f"/salesforce/profile?{query}",
                          headers={"X-Connector-Timestamp": stamp, "X-Connector-Signature": signature})
    assert response.status_code == 200 and response.headers["Content-Language"] == "fr-FR"
    card = response.get_json()
    item = next(i for s in card["sections"] for i in s["items"] if s["kind"] == "attributes"
                and i["key"] == "lifetime_value")
    assert item == {**item, "value": 1473.83, "currency": "EUR", "label": "Valeur vie client",
                    "display": LTV_FR}
    assert card["locale"] == "fr_FR" and card["lastModifiedAt"].endswith("Z")
    assert card["match"]["attempts"][0]["reason"] == "AEP a renvoyé un profil pour cette identité"


def test_the_locale_is_covered_by_the_callout_signature(sfclient, sf):
    record = record_id("Contact", CUSTOMER)
    stamp, signature = _signed_get(sfclient, f"recordId={record}&locale=fr-FR")
    response = sfclient.get(f"/salesforce/profile?recordId={record}&locale=en-US",
                            headers={"X-Connector-Timestamp": stamp, "X-Connector-Signature": signature})
    assert response.status_code == 401


def test_the_canvas_page_follows_the_signed_requests_user_locale(sfsettings, sf, eur_mapping, app_for):
    _, client = app_for(sfsettings.replace(mapping=eur_mapping))
    request = canvas_request(record_id("Contact", CUSTOMER), locale="fr_FR")
    html = client.post("/salesforce/canvas", data={"signed_request": request}).get_data(as_text=True)
    assert '<html lang="fr">' in html and "Valeur vie client" in html and LTV_FR in html
    english = client.post("/salesforce/canvas", data={"signed_request": canvas_request(
        record_id("Contact", CUSTOMER))}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Lifetime value" in english


def test_the_lookup_api_honours_accept_language(client):
    email = seed.customer(CUSTOMER).crm_email
    english = client.get("/api/v1/profiles", query_string={"namespace": "Email", "id": email},
                         headers={"X-API-Key": API_KEY}).get_json()
    response = client.get("/api/v1/profiles", query_string={"namespace": "Email", "id": email},
                          headers={"X-API-Key": API_KEY, "Accept-Language": "de-DE, fr-CH;q=0.8, en;q=0.5"})
    french = response.get_json()
    assert response.headers["Content-Language"] == "fr-CH" and "Accept-Language" in response.headers["Vary"]
    assert french["locale"] == "fr_CH" and english["locale"] == "en"
    values = [[i.get("value") for i in s["items"]] for s in english["sections"]]
    assert [[i.get("value") for i in s["items"]] for s in french["sections"]] == values  # machine values unchanged
    assert [s["title"] for s in french["sections"]][:2] == ["Client", "Valeur et risque"]


def test_the_note_uses_the_accounts_locale(zsettings, zd, eur_mapping, app_for):
    runtime, _ = app_for(zsettings.replace(mapping=eur_mapping, note_locale="fr"))
    key = f"zendesk:ticket:{CUSTOMER}"
    runtime.store.accept(delivery_key="zendesk:test-note-fr", record_key=key, provider="zendesk")
    assert runtime.jobs.run(key) == "written"
    note = zd.world.notes(CUSTOMER)[-1]
    body = note["body"] if isinstance(note, dict) else note
    assert body.startswith(f"Profil client AEP\nIdentifié par Email (m***@example.com), confiance 95{NBSP}%")
    assert f"Valeur vie client{NBSP}: " + LTV_FR in body
    sent = zd.world.ticket_updates[CUSTOMER][-1]
    assert {"id": 360001, "value": 1473.83} in sent["custom_fields"]  # write-back values stay machine values
