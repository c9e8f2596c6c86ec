"""The directory through the API (issue 11): `GET /structures` is keyset-paginated like every list, the commune
filter kept; `GET` / `PATCH /structure` read and change the user's own structure's entry through the same service
and right (« Gérer la structure ») as « Ma structure »; errors in the API's one format."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cep.accounts.rights import Right, Role
from cep.audit.models import AuditEntry
from tests.api.conftest import client_for, with_errors
from tests.factories import StructureFactory, UserFactory, withdraw

pytestmark = pytest.mark.django_db
P = "/api/v1"


# ---------------------------------------------------------------- the directory, page by page


def _walk(api, query: str, limit: int) -> list[dict]:
    """Every page of the directory, following next_cursor; the SQL of each page is the same size."""
    rows, cursor, counts = [], None, set()
    while True:
        url = f"{P}/structures?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url)
        assert response.status_code == 200, response.content
        page = response.json()
        assert len(page["items"]) <= limit
        rows += page["items"]
        counts.add(len(queries))
        cursor = page["next_cursor"]
        if cursor is None:
            assert len(counts) == 1, counts  # the query count does not depend on the page
            return rows


def test_the_directory_walks_every_page_of_more_than_100_structures(api, structure):
    # 130 structures in Corse-du-Sud (the users' own excluded), some sharing a name; 15 in Haute-Corse (same
    # région), 10 serving Corse-du-Sud from Haute-Corse, 5 on the continent.
    ajaccio = [StructureFactory(name=f"Structure {i % 97:03d}") for i in range(130)]
    haute_corse = [StructureFactory(name=f"Bastia {i:02d}", department_id="2B") for i in range(15)]
    serving = [StructureFactory(name=f"Service {i:02d}", department_id="2B") for i in range(10)]
    for s in serving:
        s.served_departments.set(["2A", "2B"])
    continent = [StructureFactory(name=f"Lyon {i:02d}", department_id="69", region_id="84") for i in range(5)]

    everyone = _walk(api, "", limit=100)
    ids = [r["id"] for r in everyone]
    assert len(ids) == len(set(ids)) == 160 and structure.pk not in ids
    assert [(r["name"], r["id"]) for r in everyone] == sorted((r["name"], r["id"]) for r in everyone)

    by_commune = _walk(api, "&commune=2A004", limit=37)  # Ajaccio
    ids = [r["id"] for r in by_commune]
    assert len(ids) == len(set(ids)) == 155
    serves = [r["serves_commune"] for r in by_commune]
    assert serves == [True] * 140 + [False] * 15  # those serving the département first, then the région
    assert {r["id"] for r in by_commune[:140]} == {s.pk for s in ajaccio + serving}
    assert {r["id"] for r in by_commune[140:]} == {s.pk for s in haute_corse}
    assert not {s.pk for s in continent} & set(ids)
    first_group = [(r["name"], r["id"]) for r in by_commune[:140]]
    assert first_group == sorted(first_group)


def test_the_directory_pages_keep_the_network_filter_and_refuse_a_forged_cursor(api, structure):
    for i in range(25):
        StructureFactory(name=f"Structure {i:02d}")
    first = api.get(f"{P}/structures?network=ml&limit=10").json()
    assert len(first["items"]) == 10 and first["next_cursor"]
    assert all(r["network"] == "ml" for r in first["items"])
    assert api.get(f"{P}/structures?network=france_travail").json() == {"items": [], "next_cursor": None}
    forged = api.get(f"{P}/structures?cursor=WyJhIl0")  # base64url of ["a"]: the right form, not the API's
    assert forged.status_code == 409 and forged.json()["code"] == "CURSEUR" and forged.json()["field"] == "cursor"
    assert api.get(f"{P}/structures?limit=101").status_code == 422


# ---------------------------------------------------------------- the user's own structure's entry


def test_the_manager_reads_and_changes_the_entry(manager_api, manager, structure):
    read = manager_api.get(f"{P}/structure")
    assert read.status_code == 200, read.content
    assert read.json() | {"id": 0} == {
        "id": 0,
        "name": structure.name,
        "network": structure.network_id,
        "department": "2A",
        "served_departments": ["2A"],
        "public": "",
        "contact_email": "",
        "contact_phone": "",
        "address": "",
        "serves_commune": False,
        "average_answer_days": None,
    }
    changed = manager_api.patch(
        f"{P}/structure",
        {"served_departments": ["2B", "2A"], "public": "Jeunes de 16 à 25 ans", "contact_email": "ml@example.org"},
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["served_departments"] == ["2A", "2B"] and body["public"] == "Jeunes de 16 à 25 ans"
    assert body["contact_email"] == "ml@example.org" and body["contact_phone"] == ""
    entry = AuditEntry.objects.get(action="update_directory_entry")
    assert entry.actor_id == manager.pk and entry.structure_id == structure.pk
    assert entry.before["served_departments"] == [] and entry.after["served_departments"] == ["2A", "2B"]
    assert entry.before["contact_email"] == "" and entry.after["contact_email"] == "ml@example.org"
    only_phone = manager_api.patch(f"{P}/structure", {"contact_phone": "04 95 00 00 00"}).json()
    assert only_phone["public"] == "Jeunes de 16 à 25 ans" and only_phone["contact_phone"] == "04 95 00 00 00"


def test_a_refused_entry_answers_like_every_endpoint_and_writes_nothing(manager_api, structure):
    unknown = manager_api.patch(f"{P}/structure", {"served_departments": ["2A", "999"]})
    assert unknown.status_code == 409
    assert unknown.json() == with_errors(
        {
            "code": "REFERENTIEL",
            "message": "Département inconnu : 999.",
            "field": "served_departments",
            "details": None,
            "doc": "/docs/regles-cep#referentiel",
        }
    )
    phone = manager_api.patch(f"{P}/structure", {"contact_phone": "appelez-nous", "public": "p\x01"}).json()
    assert phone["code"] == "ANNUAIRE" and phone["doc"] == "/docs/regles-cep#annuaire"
    assert [e["field"] for e in phone["errors"]] == ["public", "contact_phone"]
    too_long = manager_api.patch(f"{P}/structure", {"public": "x" * 256})
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "public"
    for body in ({"contact_email": "pas-un-courriel"}, {"name": "Autre nom"}, {"served_departments": ["Corse"]}):
        assert manager_api.patch(f"{P}/structure", body).status_code == 422, body
    structure.refresh_from_db()
    assert structure.public == "" and not structure.served_departments.exists()
    assert not AuditEntry.objects.filter(action="update_directory_entry").exists()


def test_droits_only_the_managers_of_a_structure_edit_its_entry(api, counselor, manager, structure, other_structure):
    refused = api.patch(f"{P}/structure", {"public": "Tout public"})  # a counselor
    assert refused.status_code == 403 and "« Gérer la structure" in refused.json()["message"]
    assert api.get(f"{P}/structure").status_code == 403
    for role in (Role.REGIONAL_OBSERVER, Role.NATIONAL_OBSERVER):
        observer = UserFactory(username=f"obs_{role}", role=role, structure=None, region_id="94")
        assert client_for(observer).patch(f"{P}/structure", {"public": "x"}).status_code == 403
    admin = UserFactory(username="administrateur", role=Role.ADMIN, structure=None)
    missing = client_for(admin).patch(f"{P}/structure", {"public": "x"})  # no structure of its own
    assert missing.status_code == 404 and missing.json()["code"] == "INTROUVABLE"
    other_manager = UserFactory(username="responsable_b", role=Role.MANAGER, structure=other_structure)
    assert client_for(other_manager).patch(f"{P}/structure", {"public": "Public B"}).status_code == 200
    structure.refresh_from_db()
    other_structure.refresh_from_db()
    assert structure.public == "" and other_structure.public == "Public B"  # each their own
    withdraw(manager, Right.MANAGE_STRUCTURE)
    assert client_for(manager).patch(f"{P}/structure", {"public": "x"}).status_code == 403
    assert [e.structure_id for e in AuditEntry.objects.filter(action="update_directory_entry")] == [other_structure.pk]
