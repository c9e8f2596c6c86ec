import datetime

from cep.events.models import Event
from tests.api.conftest import EVENT_BODY
from tests.clock import today


def test_record_read_and_update_an_event(api, beneficiary, counselor):
    response = api.post(
        f"beneficiaries/{beneficiary.pk}/events",
        {**EVENT_BODY, "secondary_context": "formation", "comment": "Premier entretien"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["date"] == str(today()) and body["intervener_id"] == counselor.pk and body["is_cep"] is True
    assert api.get(f"events/{body['id']}").json()["comment"] == "Premier entretien"
    response = api.patch(f"events/{body['id']}", {"delivery_mode": "a_distance", "walk_in": True})
    assert response.status_code == 200 and response.json()["delivery_mode"] == "a_distance"
    assert Event.objects.get(pk=body["id"]).walk_in is True


def test_future_event_is_refused(api, beneficiary):
    response = api.post(
        f"beneficiaries/{beneficiary.pk}/events", {**EVENT_BODY, "date": str(today() + datetime.timedelta(days=2))}
    )
    assert response.status_code == 409 and response.json()["field"] == "date"
    assert not Event.objects.exists()


def test_same_context_twice_is_refused(api, beneficiary):
    response = api.post(f"beneficiaries/{beneficiary.pk}/events", {**EVENT_BODY, "secondary_context": "cep"})
    assert response.status_code == 409 and response.json()["code"] == "EVENEMENT"


def test_missing_required_field_is_422(api, beneficiary):
    body = {k: v for k, v in EVENT_BODY.items() if k != "nature"}
    response = api.post(f"beneficiaries/{beneficiary.pk}/events", body)
    assert response.status_code == 422 and response.json()["field"] == "nature"
    assert response.json()["errors"][0]["message"] == "Champ obligatoire."


def _event(api, beneficiary, **extra):
    response = api.post(f"beneficiaries/{beneficiary.pk}/events", {**EVENT_BODY, **extra})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_event_filters(api, beneficiary):
    old = _event(api, beneficiary, date=str(today() - datetime.timedelta(days=40)))
    phone = _event(api, beneficiary, date=str(today() - datetime.timedelta(days=5)), nature="telephone")
    of_today = _event(api, beneficiary, direction="structure_vers_beneficiaire")
    url = f"beneficiaries/{beneficiary.pk}/events"
    assert [e["id"] for e in api.get(url).json()["items"]] == [of_today, phone, old]
    since = str(today() - datetime.timedelta(days=10))
    assert [e["id"] for e in api.get(f"{url}?date_from={since}").json()["items"]] == [of_today, phone]
    assert [e["id"] for e in api.get(f"{url}?date_to={since}").json()["items"]] == [old]
    assert [e["id"] for e in api.get(f"{url}?nature=telephone").json()["items"]] == [phone]
    assert [e["id"] for e in api.get(f"{url}?direction=structure_vers_beneficiaire").json()["items"]] == [of_today]
    assert [e["id"] for e in api.get(f"{url}?in_progress=true").json()["items"]] == [of_today]


def test_event_filter_on_the_cep_context(api, beneficiary):
    cep = _event(api, beneficiary, date=str(today() - datetime.timedelta(days=3)))
    other = _event(api, beneficiary, primary_context="emploi", secondary_context="formation")
    both = _event(api, beneficiary, primary_context="emploi", tertiary_context="cep")
    url = f"beneficiaries/{beneficiary.pk}/events"
    assert [e["id"] for e in api.get(f"{url}?cep_context=true").json()["items"]] == [both, cep]
    assert [e["id"] for e in api.get(f"{url}?cep_context=false").json()["items"]] == [other]
    assert len(api.get(url).json()["items"]) == 3
    assert api.get(f"{url}?cep_context=peut-etre").status_code == 422
    parameters = api.get("openapi.json").json()["paths"]["/api/v1/beneficiaries/{beneficiary_id}/events"]["get"]
    documented = {p["name"]: p for p in parameters["parameters"]}
    assert "contexte CEP" in documented["cep_context"]["description"].replace("Contexte CEP", "contexte CEP")


def test_event_list_pages_and_query_count(api, beneficiary, django_assert_max_num_queries):
    for days in range(12):
        _event(api, beneficiary, date=str(today() - datetime.timedelta(days=days)))
    url = f"beneficiaries/{beneficiary.pk}/events"
    seen, cursor = [], None
    while True:
        with django_assert_max_num_queries(3):
            page = api.get(f"{url}?limit=5" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 12


def test_r9_moving_an_event_back_moves_the_cep_clock_back(api, beneficiary):
    entry = today() - datetime.timedelta(days=200)
    opened = api.post(
        f"beneficiaries/{beneficiary.pk}/ceps",
        {
            "orientation_source": "ma_structure_entree_directe",
            "entry_date": str(entry),
            "entry_phase": 2,
            "request_reason": "prise_de_recul",
        },
    )
    assert opened.status_code == 201, opened.content
    cep_url = f"ceps/{opened.json()['id']}"
    event_id = _event(api, beneficiary, date=str(today() - datetime.timedelta(days=5)))
    assert api.get(cep_url).json()["last_manifestation_date"] == str(today() - datetime.timedelta(days=5))
    moved = api.patch(f"events/{event_id}", {"date": str(today() - datetime.timedelta(days=150))})
    assert moved.status_code == 200
    assert api.get(cep_url).json()["last_manifestation_date"] == str(today() - datetime.timedelta(days=150))
    # an e-mail the structure sent is not a manifestation of the person (R9)
    _event(api, beneficiary, direction="structure_vers_beneficiaire", nature="courriel")
    assert api.get(cep_url).json()["last_manifestation_date"] == str(today() - datetime.timedelta(days=150))
