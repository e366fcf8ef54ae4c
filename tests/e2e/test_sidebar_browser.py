"""The Zendesk sidebar in a real headless Chromium, loaded the way Zendesk loads it (signed POST)."""
from __future__ import annotations

from pathlib import Path

import pytest

from connector.sandbox import seed
from tests.e2e.conftest import ARTIFACTS, CHROMIUM

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extras")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")



@pytest.fixture()
def agent(browser, zd, connector_server, zruntime):
    """A page showing a ticket with the app in its 320 px sidebar; the ZAF SDK host is unreachable here."""
    zd.world.app_url = connector_server.url + "/zendesk/sidebar"
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    page = context.new_page()
    page.route("https://static.zdassets.com/**", lambda route: route.abort())
    yield page
    context.close()


def open_ticket(page, zd, ticket_id: int):
    page.goto(f"{zd.url}/__sandbox/agent/tickets/{ticket_id}")
    page.frame_locator("iframe[name=app]").locator("[data-status]").wait_for(timeout=15_000)
    return page.wait_for_selector("iframe[name=app]").content_frame()


def no_horizontal_overflow(frame) -> bool:
    return frame.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_sidebar_shows_the_card_in_a_narrow_frame(agent, zd):
    ARTIFACTS.mkdir(exist_ok=True)
    sent = []
    agent.on("request", lambda r: sent.append(r.post_data_json) if r.url.endswith("/zendesk/sidebar/card") else None)
    frame = open_ticket(agent, zd, 1)
    assert sent and set(sent[0]) <= {"ticket_id", "user_id", "refresh", "locale"}  # the record, no identity
    customer = seed.customer(1)
    assert frame.inner_text("h1") == f"{customer.first} {customer.last}"
    assert frame.get_attribute("[data-status]", "data-status") == "found"
    assert "Lifetime value" in frame.inner_text("article")
    assert frame.evaluate("document.documentElement.clientWidth") == 320
    assert no_horizontal_overflow(frame)
    for label in ("Refresh", "Write to ticket"):
        assert frame.get_by_role("button", name=label).is_visible()
    assert frame.get_by_role("heading", name="Recent purchases").is_visible()
    agent.screenshot(path=str(ARTIFACTS / "zendesk-sidebar-ticket.png"), full_page=True)


def test_sidebar_no_profile_state(agent, zd):
    user = zd.world.users[1002]
    user["external_id"], user["email"], user["phone"] = None, "stranger@example.org", None
    frame = open_ticket(agent, zd, 2)
    assert frame.get_attribute("[data-status]", "data-status") == "not_found"
    assert frame.inner_text("h1") == "No AEP profile found"
    assert frame.locator("details.aep-match").get_attribute("open") is not None  # the explanation is open
    assert no_horizontal_overflow(frame)
    agent.screenshot(path=str(ARTIFACTS / "zendesk-sidebar-no-profile.png"), full_page=True)


def test_write_to_ticket_shows_the_diff_then_writes_it_once_on_confirm(agent, zd, zruntime):
    frame = open_ticket(agent, zd, 3)
    frame.get_by_role("button", name="Write to ticket").click()
    review = frame.locator(".aep-review")
    review.wait_for()
    text = review.inner_text()
    assert review.get_by_role("heading", name="Review changes").is_visible()
    assert "Lifetime value" in text and "internal note, added once" in text
    assert "hidden: no personalisation consent" in text  # customer 3 refuses personalisation
    assert zd.world.ticket_updates.get(3) is None and zd.world.notes(3) == []  # reviewing writes nothing
    assert no_horizontal_overflow(frame)
    agent.screenshot(path=str(ARTIFACTS / "zendesk-sidebar-review.png"), full_page=True)
    frame.get_by_role("button", name="Confirm and write").click()
    frame.locator(".aep-status", has_text="Written to the ticket.").wait_for()  # no wait_for_function: CSP forbids eval
    assert len(zd.world.notes(3)) == 1 and "aep_enriched" in zd.world.tickets[3]["tags"]
    assert len(zd.world.ticket_updates[3]) == 1
    frame.get_by_role("button", name="Refresh").click()
    frame.wait_for_selector("[data-status=found]")
    assert len(zd.world.notes(3)) == 1
