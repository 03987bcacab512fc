"""A citizen comments on a proposal, finds the comment with the search box; it is reported, a moderator
hides it, and search no longer finds it."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect


def log_in(journey, email: str) -> None:
    """Log in from the home page, reading the site in English."""
    page = journey.page
    journey.goto("/")
    english = page.get_by_role("link", name="English")
    if english.count():
        english.click()
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo-participa-2027")
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    journey.step(f"logged in as {email}")


def search_for(journey, words: str):
    page = journey.page
    box = page.get_by_role("search").first
    box.get_by_label("Search").fill(words)
    box.get_by_role("button", name="Search").click()
    journey.step(f"searched {words}")
    return page.get_by_role("main")


def log_out(journey) -> None:
    journey.page.get_by_role("navigation", name="Your account").get_by_role("button", name="Log out").click()


def test_a_comment_is_found_reported_hidden_and_then_gone_from_search(journey):
    page = journey.page
    word = f"zum{uuid.uuid4().hex[:10]}"
    log_in(journey, "laia@demo.participa.test")
    journey.goto("/processes/pressupostos-2027")
    page.get_by_role("navigation", name="Sections of this space").get_by_role("link", name="Proposals").click()
    page.get_by_role("link", name="Més arbres i ombra a la plaça Major").first.click()
    journey.step("proposal page")
    page.get_by_label("Your comment").fill(f"A kiosk with {word} would help too.")
    page.get_by_role("region", name=re.compile("comment")).get_by_role("button", name="Publish").click()
    journey.step("commented")
    assert page.locator(".comment").filter(has_text=word).count() == 1

    results = search_for(journey, word.upper())
    assert "1 result" in results.get_by_role("heading", level=2).first.inner_text()
    results.get_by_role("link", name="Comment", exact=True).click()
    journey.step("followed the result")
    expect(page.locator(".comment").filter(has_text=word)).to_be_visible()
    log_out(journey)

    log_in(journey, "admin@demo.participa.test")
    search_for(journey, word).get_by_role("link", name="Comment", exact=True).click()
    page.locator(".comment").filter(has_text=word).get_by_role("link", name="Report").click()
    journey.step("report form")
    page.get_by_label(re.compile("^Spam")).check()
    page.get_by_role("button", name="Send the report").click()
    journey.step("reported")

    page.get_by_role("link", name="Administration").click()
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Spaces").click()
    page.get_by_role("link", name="Participatory budget 2027").first.click()
    page.get_by_role("navigation", name="Administration of this space").get_by_role("link", name="Moderation").click()
    journey.step("moderation page")
    row = page.get_by_role("row").filter(has_text=word)
    assert "1 report" in row.inner_text()
    row.get_by_role("button", name="Hide").click()
    journey.step("hidden")

    results = search_for(journey, word)
    assert "0 results" in results.get_by_role("heading", level=2).first.inner_text()
    assert results.get_by_role("link", name="Comment", exact=True).count() == 0
