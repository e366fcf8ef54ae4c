"""The card in a real headless Chromium, checked with axe-core (bundled by axe-playwright-python, no
network): the Zendesk sidebar (profile, fields hidden for want of consent, the review of "Write to ticket",
no profile), the Canvas page, in English and French, light and dark; the 320 px sidebar never scrolls
sideways; the keyboard reaches the buttons (and the review's) with a visible focus.

The sidebar is loaded as Zendesk loads it (signed POST into a 320 px iframe) with a stand-in for the
ZAF SDK that answers ``client.get`` like Zendesk does, including ``currentUser.locale``.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from connector import create_app
from connector.bundled import manifest_path
from connector.runtime import build_runtime
from connector.sandbox.salesforce import canvas_request, record_id
from connector.sandbox.server import ServerThread
from tests.conftest import CALLOUT_SECRET
from tests.e2e.conftest import ARTIFACTS, CHROMIUM

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extras")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python: test extras")
pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")]
BLOCKING = {"serious", "critical"}
FOUND_TICKET = 3  # seed customer 3: lifetime value 1,473.83
NO_CONSENT_TICKET = 8  # seed customer 8 (index = 8 mod 10): no personalisation consent recorded
NNBSP, NBSP = "\u202f", "\u00a0"

FAKE_ZAF = """window.ZAFClient = { init: function () { var data = %s; return {
  get: function (paths) { var out = { errors: {} };
    [].concat(paths).forEach(function (p) { out[p] = data[p]; }); return Promise.resolve(out); },
  invoke: function () { return Promise.resolve({}); },
  request: function () { return Promise.reject(new Error("no Zendesk proxy here")); } }; } };"""



@pytest.fixture()
def server(settings, zd, sf, tmp_path):
    """One connector serving the Zendesk sidebar and the Canvas page, EUR as the account's currency."""
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(manifest_path("mappings", "default.yaml").read_text("utf-8").replace(
        "\ncurrency: USD\n", "\ncurrency: EUR\n"), "utf-8")
    runtime = build_runtime(settings.replace(**zd.settings_overrides(), **sf.settings_overrides(),
                                             salesforce_callout_secret=CALLOUT_SECRET, mapping=str(mapping),
                                             session_secret="test-session-secret-0123456789abcdef"))
    running = ServerThread(create_app(runtime=runtime)).start()
    zd.world.app_url = running.url + "/zendesk/sidebar"
    yield running
    running.stop()
    runtime.close()


@pytest.fixture()
def open_page(browser):
    contexts = []

    def make(*, scheme: str = "light", locale: str = "en-US"):
        context = browser.new_context(viewport={"width": 1024, "height": 900}, color_scheme=scheme, locale=locale)
        contexts.append(context)
        return context.new_page()
    yield make
    for context in contexts:
        context.close()


def zaf_data(zd, ticket_id: int, agent_locale: str) -> dict:
    user = zd.world.users[zd.world.tickets[ticket_id]["requester_id"]]
    return {"ticket.id": ticket_id, "currentUser.locale": agent_locale,
            "ticket.requester": {"id": user["id"], "email": user.get("email"), "phone": user.get("phone"),
                                 "externalId": user.get("external_id")}}


def open_sidebar(page, zd, ticket_id: int, agent_locale: str):
    script = FAKE_ZAF % json.dumps(zaf_data(zd, ticket_id, agent_locale))
    page.route("https://static.zdassets.com/**",
               lambda route: route.fulfill(status=200, content_type="text/javascript", body=script))
    page.goto(f"{zd.url}/__sandbox/agent/tickets/{ticket_id}")
    page.frame_locator("iframe[name=app]").locator("[data-status]").wait_for(timeout=15_000)
    return page.wait_for_selector("iframe[name=app]").content_frame()


def open_canvas(page, server, record: str, user_locale: str):
    request = canvas_request(record, locale=user_locale)
    page.set_content(f'<form method="post" action="{server.url}/salesforce/canvas">'
                     f'<input type="hidden" name="signed_request" value="{request}"></form>')
    with page.expect_navigation():
        page.locator("form").evaluate("form => form.submit()")
    page.locator("[data-status]").wait_for()
    return page.main_frame


def blocking_violations(frame, name: str) -> list[str]:
    """axe.run() in the card's own document; every finding (any impact) is kept in tests/artifacts/."""
    results = axe_module.Axe().run(frame, options={"resultTypes": ["violations", "passes", "incomplete"]})
    response = results.response
    assert response["testEngine"]["name"] == "axe-core" and len(response["passes"]) > 10  # axe did run
    assert "color-contrast" in {r["id"] for r in response["passes"]}  # contrast was measured, in light and dark
    ARTIFACTS.mkdir(exist_ok=True)
    summary = {"url": response["url"], "engine": response["testEngine"]["version"],
               "passes": sorted(r["id"] for r in response["passes"]),
               "incomplete": sorted(r["id"] for r in response["incomplete"]),
               "violations": [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
                              for v in response["violations"]]}
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(summary, indent=1), "utf-8")
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
            for v in response["violations"] if v["impact"] in BLOCKING]


def no_horizontal_scroll(frame) -> bool:
    return frame.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def focused(frame) -> dict:
    return frame.evaluate("""() => { const e = document.activeElement; const s = getComputedStyle(e);
        return {text: e.textContent.trim(), outline: s.outlineStyle, width: s.outlineWidth,
                inReview: !!e.closest('.aep-review')}; }""")


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("agent_locale, texts", [
    ("en-US", ("Lifetime value", "€1,473.83", "Refresh", "Write to ticket")),
    ("fr", ("Valeur vie client", f"1{NNBSP}473,83{NBSP}€", "Actualiser", "Écrire dans le ticket")),
])
def test_zendesk_sidebar_with_a_profile(open_page, server, zd, scheme, agent_locale, texts):
    page = open_page(scheme=scheme)
    frame = open_sidebar(page, zd, FOUND_TICKET, agent_locale)
    assert frame.get_attribute("[data-status]", "data-status") == "found"
    text = frame.inner_text("article")
    assert all(t in text for t in texts), text
    frame.locator("summary").click()  # the match explanation open too: its colours are checked as well
    assert frame.evaluate("document.documentElement.clientWidth") == 320 and no_horizontal_scroll(frame)
    name = f"zendesk-sidebar-{agent_locale[:2]}-{scheme}"
    assert blocking_violations(frame, name) == []
    shoot(page, name)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("agent_locale, title", [("en-US", "No AEP profile found"), ("fr", "Aucun profil AEP trouvé")])
def test_zendesk_sidebar_without_a_profile(open_page, server, zd, scheme, agent_locale, title):
    user = zd.world.users[zd.world.tickets[2]["requester_id"]]
    user["external_id"], user["email"], user["phone"] = None, "stranger@example.org", None
    page = open_page(scheme=scheme)
    frame = open_sidebar(page, zd, 2, agent_locale)
    assert frame.get_attribute("[data-status]", "data-status") == "not_found"
    assert frame.inner_text("h1") == title
    assert no_horizontal_scroll(frame)
    name = f"zendesk-sidebar-no-profile-{agent_locale[:2]}-{scheme}"
    assert blocking_violations(frame, name) == []
    shoot(page, name)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("user_locale, texts", [
    ("en_US", ("Lifetime value", "€1,473.83")), ("fr_FR", ("Valeur vie client", f"1{NNBSP}473,83{NBSP}€"))])
def test_canvas_page(open_page, server, sf, scheme, user_locale, texts):
    page = open_page(scheme=scheme)
    frame = open_canvas(page, server, record_id("Contact", FOUND_TICKET), user_locale)
    text = frame.inner_text("article")
    assert all(t in text for t in texts), text
    assert frame.evaluate("document.documentElement.lang") == user_locale[:2]
    name = f"salesforce-canvas-{user_locale[:2]}-{scheme}"
    assert blocking_violations(frame, name) == []
    page.set_viewport_size({"width": 320, "height": 900})
    assert no_horizontal_scroll(frame)
    shoot(page, name)


def test_dark_scheme_changes_the_background(open_page, server, zd):
    colours = {}
    for scheme in ("light", "dark"):
        frame = open_sidebar(open_page(scheme=scheme), zd, FOUND_TICKET, "en-US")
        colours[scheme] = frame.evaluate("getComputedStyle(document.body).backgroundColor")
    assert colours["light"] == "rgb(255, 255, 255)"
    assert colours["dark"] != colours["light"]
    red, green, blue = (int(c) for c in colours["dark"][4:-1].split(","))
    assert max(red, green, blue) < 64  # a dark surface, like Zendesk's dark workspace


def test_the_keyboard_reaches_refresh_and_write_with_a_visible_focus(open_page, server, zd):
    page = open_page()
    frame = open_sidebar(page, zd, FOUND_TICKET, "en-US")
    frame.locator("summary").focus()
    reached = []
    for _ in range(2):  # the match explanation's summary, then the two buttons, in reading order
        page.keyboard.press("Tab")
        now = focused(frame)
        reached.append(now["text"])
        assert now["outline"] == "solid" and now["width"] == "2px", now  # :focus-visible ring
    assert reached == ["Refresh", "Write to ticket"]
    page.keyboard.press("Shift+Tab")
    assert frame.evaluate("document.activeElement.textContent.trim()") == "Refresh"
    page.keyboard.press("Enter")  # a keyboard user can refresh the card
    frame.locator("[data-status=found]").wait_for()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("agent_locale, hidden", [
    ("en-US", "hidden: no personalisation consent"), ("fr", "masqué : pas de consentement à la personnalisation")])
def test_zendesk_sidebar_with_fields_hidden_for_want_of_consent(open_page, server, zd, scheme, agent_locale, hidden):
    page = open_page(scheme=scheme)
    frame = open_sidebar(page, zd, NO_CONSENT_TICKET, agent_locale)
    assert frame.get_attribute("[data-status]", "data-status") == "found"
    lines = [" ".join(t.split()) for t in frame.locator(".aep-hidden").all_inner_texts()]
    assert lines == [hidden, hidden], lines  # churn propensity, then the audiences
    assert frame.locator("section[aria-labelledby=aep-audiences] .aep-hidden").count() == 1
    assert frame.locator(".aep-badge").count() == 0  # the churn risk badge is withheld with the score
    assert no_horizontal_scroll(frame)
    name = f"zendesk-sidebar-hidden-{agent_locale[:2]}-{scheme}"
    assert blocking_violations(frame, name) == []
    shoot(page, name)


def open_review(page, frame):
    """The agent asks for "Write to ticket" from the keyboard; the diff opens below the card."""
    frame.locator("[data-action=enrich]").focus()
    page.keyboard.press("Enter")
    review = frame.locator(".aep-review")
    review.wait_for(timeout=15_000)
    return review


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("agent_locale, texts", [
    ("en-US", ("Review changes", "Internal note", "Marker tag", "Confirm and write", "Cancel",
               "hidden: no personalisation consent")),
    ("fr", ("Vérifier les modifications", "Note interne", "Balise de suivi", "Confirmer et écrire", "Annuler",
            "masqué : pas de consentement à la personnalisation")),
])
def test_zendesk_sidebar_reviewing_a_write(open_page, server, zd, scheme, agent_locale, texts):
    page = open_page(scheme=scheme)
    frame = open_sidebar(page, zd, FOUND_TICKET, agent_locale)
    review = open_review(page, frame)
    review.locator("summary").click()  # the internal note's text open too: its colours are checked as well
    text = " ".join(review.text_content().split())
    assert all(t in text for t in texts), text
    assert review.locator("ins").count() > 0  # a real diff, not only "nothing to write"
    assert zd.world.ticket_updates.get(FOUND_TICKET) is None  # reviewing wrote nothing
    assert frame.evaluate("document.documentElement.clientWidth") == 320 and no_horizontal_scroll(frame)
    name = f"zendesk-sidebar-review-{agent_locale[:2]}-{scheme}"
    assert blocking_violations(frame, name) == []
    review.locator(".aep-actions").scroll_into_view_if_needed()  # the screenshot shows Confirm and Cancel
    shoot(page, name)


def test_the_keyboard_moves_into_the_review_and_back_to_write(open_page, server, zd):
    page = open_page()
    frame = open_sidebar(page, zd, FOUND_TICKET, "en-US")
    open_review(page, frame)
    frame.locator(".aep-review button").first.wait_for()
    now = focused(frame)
    assert now["inReview"] and now["text"] == "Confirm and write", now  # focus moved into the review
    assert now["outline"] == "solid" and now["width"] == "2px", now
    page.keyboard.press("Tab")
    now = focused(frame)
    assert now["inReview"] and now["text"] == "Cancel", now
    assert now["outline"] == "solid" and now["width"] == "2px", now
    page.keyboard.press("Enter")  # Cancel: the review closes, focus is back on Write to ticket
    frame.locator(".aep-review").wait_for(state="detached")
    now = focused(frame)
    assert now["text"] == "Write to ticket" and now["outline"] == "solid", now
    assert frame.locator("[data-action=enrich]").is_enabled()
    page.keyboard.press("Enter")  # the review again; Escape leaves it as Cancel does
    frame.locator(".aep-review button").first.wait_for()
    assert focused(frame)["inReview"]
    page.keyboard.press("Escape")
    frame.locator(".aep-review").wait_for(state="detached")
    assert focused(frame)["text"] == "Write to ticket"
    assert zd.world.ticket_updates.get(FOUND_TICKET) is None  # cancelling wrote nothing
