"""An admin sets up a participatory process in the browser: phases, components, their settings,
publication; then anybody finds it, with its phases, on the site."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect


def log_in_as_admin(journey) -> None:
    page = journey.page
    journey.goto("/")
    page.get_by_role("link", name="English").click()
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("E-mail").fill("admin@demo.participa.test")
    page.get_by_label("Password").fill("demo-participa-2027")
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    journey.step("logged in")


def test_admin_creates_a_process_with_phases_and_components_and_publishes_it(journey):
    page = journey.page
    slug = f"budget-{uuid.uuid4().hex[:8]}"
    log_in_as_admin(journey)
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Spaces").click()
    page.get_by_role("link", name="New: Participatory processes").click()
    journey.step("new process form")

    title = page.get_by_role("group", name=re.compile("^Title"))
    title.get_by_label("English").fill("Budget 2029")
    page.get_by_role("button", name="Create").click()
    journey.step("errors")
    summary = page.get_by_role("alert")
    assert "Fill in this field, at least in Català." in summary.inner_text()
    assert page.get_by_role("group", name=re.compile("^Title")).get_by_label("English").input_value() == "Budget 2029"

    title = page.get_by_role("group", name=re.compile("^Title"))
    title.get_by_label("Català").fill("Pressupostos 2029")
    title.get_by_label("Español").fill("Presupuestos 2029")
    page.get_by_label("Address").fill(slug)
    page.get_by_role("group", name=re.compile("^Subtitle")).get_by_label("Català").fill("Decideix-ho tu")
    page.get_by_role("button", name="Create").click()
    journey.step("created as a draft")
    assert "draft" in page.get_by_role("status").inner_text()

    page.get_by_role("navigation", name="Administration of this space").get_by_role("link", name="Phases").click()
    for name, start in (("Propostes", "2029-01-10"), ("Suports", "2029-03-01"), ("Resultats", "2029-05-01")):
        page.get_by_role("group", name=re.compile("^Title")).get_by_label("Català").fill(name)
        page.get_by_label("Start date").fill(start)
        page.get_by_role("button", name="Add the phase").click()
    journey.step("three phases")
    phases = page.get_by_role("list").filter(has_text="Propostes")
    assert "Active" in phases.get_by_role("listitem").first.inner_text()

    page.get_by_role("navigation", name="Administration of this space").get_by_role("link", name="Components").click()
    page.get_by_label("Proposals").check()
    page.get_by_role("button", name="Add", exact=True).click()
    journey.step("proposals component settings")
    page.get_by_role("group", name=re.compile("^Name")).get_by_label("Català").fill("Propostes veïnals")
    page.get_by_role("group", name=re.compile("^Name")).get_by_label("English").fill("Neighbourhood proposals")
    page.get_by_role("group", name=re.compile("^Settings")).get_by_label("Supports per participant", exact=True).fill("-3")
    page.get_by_role("group", name="In the phase Propostes (active now)").get_by_label(
        "Participants can create proposals").check()
    page.get_by_role("group", name="In the phase Suports").get_by_label("Supports are shown").check()
    page.get_by_role("button", name="Save").click()
    journey.step("settings errors")
    assert "Enter a number of at least 0." in page.get_by_role("alert").inner_text()
    assert page.get_by_role("group", name="In the phase Suports").get_by_label("Supports are shown").is_checked()
    page.get_by_role("group", name=re.compile("^Settings")).get_by_label("Supports per participant", exact=True).fill("5")
    page.get_by_role("button", name="Save").click()
    assert "The changes are saved." in page.get_by_role("status").inner_text()

    page.get_by_role("link", name="Back to the components").click()
    page.get_by_label("Pages").check()
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("link", name="Back to the components").click()
    for row_name in ("Neighbourhood proposals", "Pages"):
        page.get_by_role("row").filter(has_text=row_name).get_by_role("button", name="Publish").click()
    journey.step("components published")

    page.get_by_role("navigation", name="Administration of this space").get_by_role("link", name="Details").click()
    page.get_by_role("region", name="Publication").get_by_role("button", name="Publish").click()
    journey.step("space published")
    assert "everyone can see it now" in page.get_by_role("status").inner_text()

    page.get_by_role("navigation", name="Your account").get_by_role("button", name="Log out").click()
    journey.goto(f"/processes/{slug}")
    journey.step("public page")
    assert page.get_by_role("heading", level=1).inner_text() == "Budget 2029"
    phase_list = page.get_by_role("region", name="Phases").get_by_role("listitem")
    assert phase_list.count() == 3
    assert page.locator('[aria-current="step"]').inner_text().startswith("Propostes")
    sections = page.get_by_role("navigation", name="Sections of this space")
    expect(sections.get_by_role("link", name="Neighbourhood proposals")).to_be_visible()
    journey.goto("/processes")
    assert page.locator(f'a[href="/processes/{slug}"]').inner_text() == "Budget 2029"
