"""A citizen on a phone finds a process, reads how to take part and changes language."""

from __future__ import annotations


def test_citizen_reads_a_process_and_switches_language(journey):
    page = journey.page
    journey.goto("/")
    assert page.locator("html").get_attribute("lang") == "ca"
    assert page.get_by_role("heading", level=1).inner_text() == "Ajuntament de Vilademo"

    page.get_by_role("link", name="Pressupostos participatius 2027").first.click()  # its card, then its deadline
    journey.step("process page")
    assert page.get_by_role("heading", level=1).inner_text() == "Pressupostos participatius 2027"

    page.get_by_role("link", name="Informació").click()
    journey.step("information component")
    assert page.get_by_role("heading", level=1).inner_text() == "Què és aquest procés"

    page.get_by_role("navigation", name="Pàgines").get_by_role("link", name="Com participar").click()
    journey.step("second page")
    assert page.get_by_role("heading", level=1).inner_text() == "Com participar"
    address = page.url

    page.get_by_role("link", name="Español").click()
    journey.step("in Spanish")
    assert page.url == address  # the visitor stays on the same page
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("heading", level=1).inner_text() == "Cómo participar"

    page.get_by_role("link", name="Català").click()
    journey.step("back in Catalan")
    assert page.get_by_role("heading", level=1).inner_text() == "Com participar"


def test_a_missing_page_explains_itself_and_leads_home(journey):
    response = journey.goto("/processes/no-existeix")
    assert response.status == 404
    page = journey.page
    assert page.get_by_role("heading", level=1).inner_text() == "Aquesta pàgina no existeix"
    page.get_by_role("link", name="Ves a la pàgina d'inici").click()
    journey.step("home")
    assert page.get_by_role("heading", level=1).inner_text() == "Ajuntament de Vilademo"
