"""Two minutes before an idle session ends, a warning takes the focus and one key keeps the session
(WCAG 2.2.1 Timing Adjustable); if nobody answers, it says the session ended and offers to log in
again, without reloading the page (what was typed stays). The browser's clock is moved forward."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.test_notifications import log_in
from tests.e2e.test_quality import _axe_violations

PROCESS = "/processes/pressupostos-2027"


def test_the_inactivity_warning_keeps_the_session_or_says_it_has_ended(browser, live_server):
    context = browser.new_context(locale="ca-ES", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.clock.install()
    try:
        log_in(page, live_server.url)
        page.goto(live_server.url + PROCESS)
        warning = page.locator("#session-warning")
        expect(warning).to_be_hidden()
        page.get_by_role("searchbox").fill("parc")  # something typed, that must survive

        page.clock.fast_forward("01:58:30")  # the default session lasts two idle hours
        expect(warning).to_be_visible()
        assert warning.get_attribute("role") == "alertdialog"
        stay = warning.get_by_role("button")
        expect(stay).to_be_focused()
        assert _axe_violations(page) == []
        stay.press("Enter")  # the keyboard alone
        expect(warning).to_be_hidden()
        assert page.url == live_server.url + PROCESS and page.get_by_role("searchbox").input_value() == "parc"

        page.clock.fast_forward("02:00:30")  # nobody answers this time
        login = warning.locator(".session-warning__login")
        expect(login).to_be_visible()
        expect(login).to_be_focused()
        expect(warning.locator("form")).to_be_hidden()
        assert page.get_by_role("searchbox").input_value() == "parc"
        assert "/account/login?next=" in login.get_attribute("href")
    finally:
        context.close()
