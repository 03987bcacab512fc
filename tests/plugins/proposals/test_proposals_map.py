"""Proposals with a place: coordinates in the wizard, the map view, the address filter and the map's CSP."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.db import utcnow
from core.models import Component, Space
from core.moderation.models import Moderation
from plugins.proposals.models import Proposal
from tests.conftest import other_organization
from tests.plugins.proposals.test_proposals import BASE, citizens, demo_component, set_rules  # noqa: F401
from tests.test_accounts import submit
from tests.test_admin import log_in


async def placed(db, component: Component, title: str, latitude: float | None = 41.93, longitude: float | None = 2.25,
                 address: str | None = "Carrer Major, 5", **values) -> Proposal:
    proposal = Proposal(component_id=component.id, title=title, body="<p>Text</p>", language="ca",
                        state=values.pop("state", "published"), published_at=utcnow(), words=title.lower(),
                        address=address, latitude=latitude, longitude=longitude, **values)
    db.add(proposal)
    await db.commit()
    return proposal


def listed(html: str) -> list[str]:
    """The titles of the map view's list of located proposals, in order."""
    block = html.split('id="map-list"', 1)[1].split("</ul>", 1)[0] if 'id="map-list"' in html else ""
    return re.findall(r'<a href="[^"]+/\d+">([^<]+)</a>', block)


def errors(html: str) -> list[str]:
    """The fields of the form that show an error."""
    return re.findall(r'id="field-([a-z-]+)-error"', html)


def message(html: str, field: str) -> str:
    return re.search(rf'id="field-{field}-error">(.*?)</p>', html).group(1)


async def draft_of(client, db, url: str) -> int:
    written = await submit(client, f"{url}/new", title="Un banc a l'ombra del carrer Nou",
                           body="Hi falta un lloc per seure a l'ombra.")
    assert written.status_code == 303
    return int(written.headers["location"].split("/")[-2])


async def test_coordinates_are_validated_keeping_what_was_typed(client, demo, db, citizens):  # noqa: F811
    component = await demo_component(db)
    url = f"{BASE}/{component.id}"
    await log_in(client, "vei0@example.org")
    proposal_id = await draft_of(client, db, url)
    page = f"{url}/{proposal_id}/complete"
    form = (await client.get(page)).text
    assert 'name="latitude"' in form and 'name="longitude"' in form and 'name="address"' in form
    text = {"title": "Un banc a l'ombra del carrer Nou", "body": "Hi falta un lloc per seure a l'ombra."}

    out_of_range = await submit(client, page, **text, address="Carrer Nou, 3", latitude="91", longitude="2,25")
    assert out_of_range.status_code == 400
    assert 'value="91"' in out_of_range.text and 'value="2,25"' in out_of_range.text
    assert 'value="Carrer Nou, 3"' in out_of_range.text
    assert errors(out_of_range.text) == ["latitude"] and "90" in message(out_of_range.text, "latitude")
    not_a_number = await submit(client, page, **text, latitude="nord", longitude="inf")
    assert not_a_number.status_code == 400 and errors(not_a_number.text) == ["latitude", "longitude"]
    only_one = await submit(client, page, **text, latitude="41.93", longitude="")
    assert only_one.status_code == 400 and errors(only_one.text) == ["longitude"]
    assert 'value="41.93"' in only_one.text
    too_long = await submit(client, page, **text, address="x" * 301)
    assert too_long.status_code == 400 and errors(too_long.text) == ["address"]
    proposal = await db.get(Proposal, proposal_id)
    await db.refresh(proposal)
    assert (proposal.latitude, proposal.longitude) == (None, None)

    done = await submit(client, page, **text, address="Carrer Nou, 3", latitude="41.9329", longitude="2,2585")
    assert done.status_code == 303
    await db.refresh(proposal)
    assert (proposal.address, proposal.latitude, proposal.longitude) == ("Carrer Nou, 3", 41.9329, 2.2585)
    # Neither is fine too: the place is optional.
    assert (await submit(client, page, **text, latitude="", longitude="")).status_code == 303
    await db.refresh(proposal)
    assert (proposal.latitude, proposal.longitude) == (None, None)


async def test_without_geolocation_there_are_no_coordinates_and_no_map(client, demo, db, citizens):  # noqa: F811
    component = await demo_component(db)
    await set_rules(db, component, geolocation_enabled=False)
    url = f"{BASE}/{component.id}"
    await log_in(client, "vei0@example.org")
    proposal_id = await draft_of(client, db, url)
    form = (await client.get(f"{url}/{proposal_id}/complete")).text
    assert 'name="address"' in form and 'name="latitude"' not in form
    assert (await client.get(f"{url}/map")).status_code == 404
    listing = (await client.get(f"{url}/")).text
    assert f'href="{url}/map' not in listing and 'name="address"' not in listing


async def test_the_map_lists_only_located_visible_proposals_and_keeps_the_filters(client, demo, db):
    component = await demo_component(db)
    url = f"{BASE}/{component.id}"
    here = await placed(db, component, "Una font nova al parc del Castell")
    await placed(db, component, "Una proposta sense cap lloc", latitude=None, longitude=None, address=None)
    await placed(db, component, "Una proposta només amb adreça", latitude=None, longitude=None)
    await placed(db, component, "Un esborrany amb lloc però privat", state="draft")
    withdrawn = await placed(db, component, "Una proposta retirada amb lloc", state="withdrawn",
                             withdrawn_at=utcnow())
    hidden = await placed(db, component, "Una proposta amagada per moderació")
    db.add(Moderation(organization_id=demo.id, space_id=component.space_id, component_id=component.id,
                      resource_type="proposals.proposal", resource_id=hidden.id, report_count=3, hidden_at=utcnow()))
    other = await db.scalar(select(Component).join(Space).options(selectinload(Component.space)).where(
        Space.slug == "pla-de-mobilitat", Component.component_type == "proposals"))
    await placed(db, other, "Una proposta d'un altre espai amb lloc")

    response = await client.get(f"{url}/map")
    assert response.status_code == 200
    titles = listed(response.text)
    assert "Una font nova al parc del Castell" in titles and "Més arbres i ombra a la plaça Major" in titles
    for absent in ("Una proposta sense cap lloc", "Una proposta només amb adreça", "Un esborrany amb lloc",
                   "Una proposta retirada amb lloc", "Una proposta amagada per moderació",
                   "Una proposta d'un altre espai amb lloc"):
        assert absent not in response.text, absent
    # The markers' data is the list's: coordinates on the located items, nothing else.
    assert f'id="proposal-{here.id}" data-latitude="41.93" data-longitude="2.25"' in response.text
    assert response.text.count("data-latitude=") == len(titles)
    assert "Carrer Major, 5" in response.text
    # Without JavaScript the button that loads Leaflet stays hidden, and Leaflet is not on the page.
    assert re.search(r'<div class="map-loader" id="map-loader" hidden>', response.text)
    assert "leaflet.js" not in re.sub(r'data-leaflet-js="[^"]+"', "", response.text)
    assert 'src="/static/js/proposals-map.js"' in response.text

    # The list's filters apply and are kept in the links between the list and the map.
    accepted = await client.get(f"{url}/map", params={"state": "accepted", "order": "recent", "category": "999999"})
    assert listed(accepted.text) == ["Més arbres i ombra a la plaça Major"]
    assert '<option value="accepted" selected>' in accepted.text and f'action="{url}/map"' in accepted.text
    assert f'href="{url}/?state=accepted&amp;order=recent"' in accepted.text  # back to the list, filtered
    # In the random order the link keeps the visitor's seed, so the list comes back as they left it.
    shuffled = await client.get(f"{url}/map", params={"state": "accepted", "seed": "4321"})
    assert f'href="{url}/?state=accepted&amp;order=random&amp;seed=4321"' in shuffled.text
    only_withdrawn = await client.get(f"{url}/map", params={"state": "withdrawn"})
    assert listed(only_withdrawn.text) == ["Una proposta retirada amb lloc"]
    list_page = (await client.get(f"{url}/", params={"q": "font", "address": "with"})).text
    assert f'href="{url}/map?q=font&amp;order=random' in list_page and "address=with" in list_page
    # The page's proposal links to its place on the map.
    page = (await client.get(f"{url}/{here.id}")).text
    assert f'href="{url}/map#proposal-{here.id}"' in page and "Carrer Major, 5" in page
    assert f'href="{url}/map?state=withdrawn#proposal-{withdrawn.id}"' in (await client.get(
        f"{url}/{withdrawn.id}")).text


async def test_the_list_filters_by_address(client, demo, db):
    component = await demo_component(db)
    url = f"{BASE}/{component.id}/"
    await placed(db, component, "Una proposta sense cap lloc", latitude=None, longitude=None, address=None)
    with_address = (await client.get(url, params={"address": "with", "order": "recent"})).text
    without = (await client.get(url, params={"address": "without", "order": "recent"})).text
    anything = (await client.get(url, params={"address": "<script>", "order": "recent"})).text
    assert "Més arbres i ombra a la plaça Major" in with_address and "Una proposta sense cap lloc" not in with_address
    assert "Una proposta sense cap lloc" in without and "Més arbres i ombra a la plaça Major" not in without
    assert "Biblioteca oberta els diumenges al matí" in without  # the demo's one proposal without a place
    assert "Una proposta sense cap lloc" in anything and "Més arbres i ombra a la plaça Major" in anything
    assert '<option value="with" selected>' in with_address


async def test_only_the_map_page_lets_images_come_from_the_tile_server(client, demo, db):
    component = await demo_component(db)
    url = f"{BASE}/{component.id}"
    page = await client.get(f"{url}/map")
    policy = page.headers["content-security-policy"]
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in policy and "script-src 'self';" in policy
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in page.text
    assert 'data-attribution="© OpenStreetMap contributors"' in page.text
    assert "tile.openstreetmap.org" not in (await client.get(f"{url}/")).headers["content-security-policy"]


async def test_another_organization_sees_nothing_of_the_map(client, demo, db):
    component = await demo_component(db)
    await other_organization(db)
    await db.commit()
    assert (await client.get(f"http://altra.test{BASE}/{component.id}/map")).status_code == 404


async def test_the_map_costs_the_same_whatever_the_number_of_proposals(client, demo, db, count_queries):
    component = await demo_component(db)
    url = f"{BASE}/{component.id}/map"

    async def cost():
        with count_queries() as counter:
            assert (await client.get(url, params={"address": "with"})).status_code == 200
        return counter.count

    await placed(db, component, "Una primera proposta amb lloc")
    small = await cost()
    for index in range(30):
        await placed(db, component, f"Una proposta amb lloc número {index}", latitude=41.9 + index / 1000)
    assert await cost() == small
    assert len(listed((await client.get(url)).text)) == 36  # the demo's five and the 31 added


async def test_a_participatory_text_has_no_map(client, demo, db):
    component = await demo_component(db)
    url = f"{BASE}/{component.id}"
    assert (await client.get(f"{url}/map")).status_code == 200  # the demo places its proposals
    await set_rules(db, component, participatory_texts_enabled=True)
    assert (await client.get(f"{url}/map")).status_code == 404


async def test_the_wizard_and_the_edit_form_offer_a_map_picker_only_where_the_map_is_on(client, demo, db,
                                                                                       citizens):  # noqa: F811
    component = await demo_component(db)
    url = f"{BASE}/{component.id}"
    await placed(db, component, "Una font nova al parc del Castell", latitude=41.5, longitude=2.1)
    await log_in(client, "vei0@example.org")
    proposal_id = await draft_of(client, db, url)
    script = "/js/proposals-map-picker.js"
    response = await client.get(f"{url}/{proposal_id}/complete")
    html = response.text
    # Hidden for a browser without JavaScript, which keeps the fields; the script and its data are there.
    assert re.search(r'<div class="map-picker" id="map-picker" hidden\s', html)
    assert 'name="latitude"' in html and 'name="longitude"' in html
    assert script in html and "<script>" not in html and not re.search(r"<script[^>]+leaflet", html)
    assert 'data-latitude-field="field-latitude" data-longitude-field="field-longitude"' in html
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html
    assert 'data-near-latitude="41.5" data-near-longitude="2.1"' in html  # where the component's proposals are
    assert "https://tile.openstreetmap.org" in response.headers["content-security-policy"]
    static = html.split(script)[0].rsplit('src="', 1)[1] + script
    assert (await client.get(static)).status_code == 200

    # A form sent with errors keeps the picker; the published proposal's edit form has it too.
    sent = await submit(client, f"{url}/{proposal_id}/complete", title="Un títol prou llarg per a la prova",
                        body="Un text prou llarg per a la prova del mapa.", latitude="91", longitude="2")
    assert sent.status_code == 400 and 'id="map-picker"' in sent.text and 'value="91"' in sent.text
    db.add(Proposal(component_id=component.id, author_id=citizens[0].id, title="La meva proposta amb lloc",
                    body="<p>x</p>", language="ca", state="published", published_at=utcnow(), latitude=41.6,
                    longitude=2.2))
    await db.commit()
    mine = await db.scalar(select(Proposal.id).where(Proposal.title == "La meva proposta amb lloc"))
    edit = (await client.get(f"{url}/{mine}/edit")).text
    assert 'id="map-picker"' in edit and script in edit and 'value="41.6"' in edit

    # Where the map is off: no picker, no script, no tile server in the policy.
    await set_rules(db, component, geolocation_enabled=False)
    response = await client.get(f"{url}/{proposal_id}/complete")
    assert 'id="map-picker"' not in response.text and script not in response.text
    assert "tile.openstreetmap.org" not in response.headers["content-security-policy"]
    assert script not in (await client.get(f"{url}/{mine}/edit")).text
