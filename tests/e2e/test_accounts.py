"""A citizen creates an account, confirms it from the mail, logs out and back in."""

from __future__ import annotations

import re
import uuid

from tests.mailbox import wait_for

PASSWORD = "el-meu-barri-2027"


def mail_to(inbox, address: str):
    return wait_for(lambda: next((m for m in inbox.messages() if m["To"] == address), None),
                    what=f"a mail to {address}")


def test_register_and_confirm_by_mail(journey, inbox):
    page = journey.page
    nickname = f"veina_{uuid.uuid4().hex[:8]}"
    address = f"{nickname}@example.org"
    journey.goto("/")
    page.get_by_role("link", name="Crea un compte").click()
    journey.step("registration form")

    page.get_by_label("El teu nom").fill("Carme Roca")
    page.get_by_label("Sobrenom").fill(nickname)
    page.get_by_label("Correu electrònic").fill(address)
    page.get_by_label("Contrasenya").fill("curta")
    page.get_by_role("button", name="Crea el compte").click()
    journey.step("errors")
    summary = page.get_by_role("alert")
    assert "Fes servir almenys 10 caràcters." in summary.inner_text()
    assert "Marca aquesta casella per continuar." in summary.inner_text()
    assert page.get_by_label("Correu electrònic").input_value() == address  # kept
    assert page.get_by_label("Contrasenya").input_value() == ""  # never sent back

    page.get_by_label("Contrasenya").fill(PASSWORD)
    page.get_by_label("Tinc 14 anys o més").check()
    page.get_by_label("He llegit i accepto les condicions d'ús").check()
    page.get_by_role("button", name="Crea el compte").click()
    journey.step("check your mail")
    assert page.get_by_role("heading", level=1).inner_text() == "Revisa el teu correu"

    message = mail_to(inbox, address)
    link = re.search(r"http://\S+/account/confirm/\S+", message.get_content()).group(0)
    page.goto(link)
    journey.step("confirmation page")
    page.get_by_role("button", name="Confirma el meu correu").click()
    journey.step("confirmed")
    assert "El teu correu està confirmat" in page.get_by_role("status").inner_text()
    account = page.get_by_role("navigation", name="El teu compte")
    assert "Carme Roca" in account.inner_text()

    account.get_by_role("button", name="Tanca la sessió").click()
    journey.step("logged out")
    page.get_by_role("link", name="Inicia la sessió").first.click()
    page.get_by_label("Correu electrònic").fill(address)
    page.get_by_label("Contrasenya").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Inicia la sessió").click()
    journey.step("logged in again")
    assert "Carme Roca" in page.get_by_role("navigation", name="El teu compte").inner_text()


def test_demo_administrator_can_log_in(journey):
    page = journey.page
    journey.goto("/account/login")
    page.get_by_label("Correu electrònic").fill("admin@demo.participa.test")
    page.get_by_label("Contrasenya").fill("demo-participa-2027")
    page.get_by_role("main").get_by_role("button", name="Inicia la sessió").click()
    journey.step("logged in")
    assert "Montse Riera" in page.get_by_role("navigation", name="El teu compte").inner_text()
