"""What the admins of proposals do shows in the organization's admin log, beside core's own actions, with
who did it, on what and where: the log is how a municipality answers "who changed this answer?"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.adminlog import AdminLogEntry, record
from core.manifest import ComponentManifest, ManifestError
from core.roles import grant_organization_role
from plugins.proposals.models import Proposal
from tests.plugins.proposals.test_evaluation import BASE, component_of, people, post, proposals  # noqa: F401
from tests.test_admin import log_in


async def test_answers_merges_and_states_are_logged_with_their_author_and_place(client, demo, db, people):  # noqa: F811
    component = await component_of(db)
    url = f"{BASE}/{component.id}"
    first, second, third = await proposals(db, component, 3, author=people["citizen"])
    await log_in(client, "admin@example.org")
    answered = await post(client, f"{url}/{third}", f"{url}/{third}/answer",
                          data={"state": "evaluating", "answer.ca": "<p>La mirem amb calma</p>"})
    assert answered.status_code == 303
    merged = await post(client, f"{url}/admin", f"{url}/admin/merge", data={
        "proposal_ids": [str(first), str(second)], "title": "Les dues propostes en una de sola",
        "body": "Un text prou llarg per a la fusió"})
    assert merged.status_code == 303
    added = await post(client, f"{url}/admin/states", f"{url}/admin/states",
                       data={"token": "estudi", "name.ca": "En estudi tècnic", "kind": "neutral"})
    assert added.status_code == 303
    refused = await post(client, f"{url}/admin/states", f"{url}/admin/states",
                         data={"token": "", "name.ca": "", "kind": "neutral"})
    assert refused.status_code == 400

    entries = (await db.scalars(select(AdminLogEntry).where(AdminLogEntry.organization_id == demo.id,
                                                            AdminLogEntry.action.like("proposals.%"))
                                .order_by(AdminLogEntry.id))).all()
    assert [entry.action for entry in entries] == ["proposals.answer", "proposals.merge", "proposals.state_create"]
    assert {entry.user_id for entry in entries} == {people["admin"].id}
    title = await db.scalar(select(Proposal.title).where(Proposal.id == third))
    assert entries[0].target == title and entries[0].details["proposal_id"] == third
    assert entries[1].target == "Les dues propostes en una de sola"
    assert sorted(entries[1].details["proposal_ids"]) == sorted([first, second])
    assert entries[2].target == "En estudi tècnic"
    assert all(entry.details["component_id"] == component.id and entry.details["space_id"] == component.space_id
               for entry in entries)

    await grant_organization_role(db, demo.id, people["second"].id, "admin")
    await db.commit()
    client.cookies.clear()
    await log_in(client, "second@example.org")
    log = await client.get("/admin/log")
    assert log.status_code == 200
    for target in (title, "Les dues propostes en una de sola", "En estudi tècnic"):
        assert target in log.text


async def test_an_action_nobody_declared_is_refused_and_plugins_declare_only_their_own(db, demo, people):  # noqa: F811
    with pytest.raises(KeyError):
        record(db, demo.id, people["admin"], "proposals.teleport", "x")
    record(db, demo.id, people["admin"], "proposals.answer", "x")  # declared by the proposals manifest
    with pytest.raises(ManifestError):
        ComponentManifest(name="budgets", title="Budgets", admin_actions={"proposals.answer": "answered %(target)s"})
