import datetime

from cep.accounts.rights import Right
from cep.offers.models import Service, ServiceOffer
from tests.api.conftest import EVENT_BODY, _first
from tests.clock import today
from tests.factories import withdraw


def offer_body() -> dict:
    """A CEP offer of the structure, open since 30 days ago."""
    return {
        "origin": "structure",
        "theme": "formation",
        "service_act": "conseil_recherche_emploi",
        "name": "Atelier CV",
        "offer_type": "Atelier",
        "partner": "Agence locale",
        "start_date": str(today() - datetime.timedelta(days=30)),
        "national_measure": "cep",
    }


def test_manager_creates_and_updates_an_offer(manager_api, manager):
    response = manager_api.post("offers", offer_body())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["theme"] == "formation" and body["structure_id"] == manager.structure_id
    response = manager_api.patch(f"offers/{body['id']}", {"state": "fermee", "end_date": str(today())})
    assert response.status_code == 200 and response.json()["state"] == "fermee"
    assert manager_api.get(f"offers/{body['id']}").json()["end_date"] == str(today())


def test_counselor_without_the_offers_right_cannot_create_offers_403(api, counselor):
    withdraw(counselor, Right.MANAGE_OFFERS)
    response = api.post("offers", offer_body())
    assert response.status_code == 403
    assert response.json()["code"] == "DROITS" and "Gérer des offres de service" in response.json()["message"]
    assert not ServiceOffer.objects.exists()


def test_offer_end_before_start_is_refused(manager_api):
    response = manager_api.post("offers", {**offer_body(), "end_date": "2000-01-01"})
    assert response.status_code == 409 and response.json()["field"] == "end_date"


def test_offer_list_has_own_and_regional_offers(manager_api, structure, offer, refdata):
    regional = ServiceOffer.objects.create(
        structure=None,
        region_id=structure.region_id,
        origin="autre",
        theme_id=_first("ServiceTheme"),
        service_act_id=_first("ServiceAct"),
        name="Offre régionale",
        start_date=today(),
    )
    elsewhere = ServiceOffer.objects.create(
        structure=None,
        region_id="11",
        origin="autre",
        theme_id=_first("ServiceTheme"),
        service_act_id=_first("ServiceAct"),
        name="Offre d'une autre région",
        start_date=today(),
    )
    ids = [o["id"] for o in manager_api.get("offers").json()["items"]]
    assert offer.pk in ids and regional.pk in ids and elsewhere.pk not in ids
    # A regional offer is read-only for a structure.
    assert manager_api.patch(f"offers/{regional.pk}", {"name": "x"}).status_code == 403


def test_offer_filters(manager_api, offer):
    assert [o["id"] for o in manager_api.get("offers?name=niveau&national_measure=cep").json()["items"]] == [offer.pk]
    assert manager_api.get("offers?theme=autre_theme_inconnu").json()["items"] == []
    assert manager_api.get(f"offers?service_act={offer.service_act_id}").json()["items"][0]["id"] == offer.pk


def test_propose_offer_records_the_event_when_none_is_in_progress(api, beneficiary, offer):
    response = api.post(f"beneficiaries/{beneficiary.pk}/services", {"offer": offer.pk, "event": EVENT_BODY})
    assert response.status_code == 201, response.content
    service = Service.objects.get(pk=response.json()["id"])
    assert service.event is not None and service.is_cep_level1
    assert service.event.nature_id == "entretien_individuel" and service.event.date == today()
    listed = api.get(f"beneficiaries/{beneficiary.pk}/services").json()["items"]
    assert [s["id"] for s in listed] == [service.pk]
    # A second proposal the same day reuses the event in progress: no event object needed.
    again = api.post(f"beneficiaries/{beneficiary.pk}/services", {"offer": offer.pk})
    assert again.status_code == 201 and again.json()["event_id"] == service.event_id


def test_propose_without_event_and_none_in_progress_is_refused(api, beneficiary, offer):
    response = api.post(f"beneficiaries/{beneficiary.pk}/services", {"offer": offer.pk})
    assert response.status_code == 409
    assert response.json()["code"] == "EVENEMENT" and response.json()["field"] == "event"
    assert not Service.objects.exists()


def test_propose_offer_of_another_structure_is_409_referentiel(api, beneficiary, other_objects):
    response = api.post(
        f"beneficiaries/{beneficiary.pk}/services", {"offer": other_objects["offer_id"], "event": EVENT_BODY}
    )
    assert response.status_code == 409 and response.json()["field"] == "offer"


def test_propose_with_invalid_event_code_is_422(api, beneficiary, offer):
    response = api.post(
        f"beneficiaries/{beneficiary.pk}/services", {"offer": offer.pk, "event": {**EVENT_BODY, "nature": "x"}}
    )
    assert response.status_code == 422 and response.json()["field"] == "nature"


def test_list_query_counts_do_not_grow(api, manager_api, beneficiary, offer, structure, django_assert_max_num_queries):
    api.post(f"beneficiaries/{beneficiary.pk}/services", {"offer": offer.pk, "event": EVENT_BODY})
    with django_assert_max_num_queries(3):
        assert len(api.get(f"beneficiaries/{beneficiary.pk}/services").json()["items"]) == 1
    with django_assert_max_num_queries(2):
        assert len(manager_api.get("offers").json()["items"]) == 1
    for i in range(25):
        api.post(f"beneficiaries/{beneficiary.pk}/services", {"offer": offer.pk})
        ServiceOffer.objects.create(
            structure=structure,
            origin="structure",
            theme_id=offer.theme_id,
            service_act_id=offer.service_act_id,
            name=f"Offre {i}",
            start_date=today(),
        )
    with django_assert_max_num_queries(3):
        assert len(api.get(f"beneficiaries/{beneficiary.pk}/services?limit=100").json()["items"]) == 26
    with django_assert_max_num_queries(2):
        assert len(manager_api.get("offers?limit=100").json()["items"]) == 26


def test_structure_less_user_cannot_create(db, refdata):
    from cep.accounts.rights import Role
    from tests.api.conftest import client_for
    from tests.factories import UserFactory

    admin = UserFactory(username="admin_api", role=Role.ADMIN, structure=None)
    response = client_for(admin).post("offers", offer_body())
    assert response.status_code == 403 and response.json()["code"] == "DROITS"


def test_offer_pages_chain_even_after_the_longest_non_ascii_names(api, structure, refdata):
    """A 200-character name (the model's maximum) in 4-byte characters: its cursor must be accepted back."""
    for i in range(3):
        ServiceOffer.objects.create(
            structure=structure,
            region_id=structure.region_id,
            origin="structure",
            theme_id=_first("ServiceTheme"),
            service_act_id=_first("ServiceAct"),
            name=f"{i}" + "🎓é" * 99 + "x",
            start_date=today(),
        )
    seen, cursor = [], None
    for _ in range(4):
        response = api.get("offers?limit=1" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.content
        page = response.json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 3 == len(set(seen))


def test_tampered_offer_cursors_are_refused_naming_the_cursor(api):
    """Outside the published shape (base64url, 2048 characters at most): 422; of that shape but not written by
    the API (another sort key, not JSON): 409 CURSEUR."""
    from urllib.parse import quote

    from cep.common import keyset

    for cursor in ["²", "%%%", "A" * (keyset.MAX_LENGTH + 1)]:
        response = api.get(f"offers?cursor={quote(cursor)}")
        assert response.status_code == 422, cursor
        assert response.json()["field"] == "cursor"
    for cursor in [keyset.encode((1, 2)), keyset.encode(("x",)), "AAAA"]:
        response = api.get(f"offers?cursor={quote(cursor)}")
        assert response.status_code == 409 and response.json()["code"] == "CURSEUR", cursor
        assert response.json()["field"] == "cursor"
