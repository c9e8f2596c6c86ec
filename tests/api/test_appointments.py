"""API: the rendez-vous of a dossier, with the portal's rules (cep.appointments.services)."""

import datetime

import pytest
from django.utils import timezone

from cep.appointments.models import Appointment
from cep.audit.models import AuditEntry
from cep.events.models import Event
from tests.api.conftest import appointment_body
from tests.clock import resolved, today
from tests.factories import paris_at

pytestmark = pytest.mark.django_db


def _url(beneficiary):
    return f"beneficiaries/{beneficiary.pk}/appointments"


def test_rdv_create_read_and_list(api, beneficiary, counselor):
    created = api.post(_url(beneficiary), appointment_body())
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "prevu" and body["mode"] == "telephone" and body["place"] is None
    assert body["counselor_id"] == counselor.pk and body["event_id"] is None
    assert datetime.datetime.fromisoformat(body["starts_at"]) == paris_at(10, 0, days=1)
    assert api.get(f"appointments/{body['id']}").json()["id"] == body["id"]
    page = api.get(_url(beneficiary)).json()
    assert [item["id"] for item in page["items"]] == [body["id"]] and page["next_cursor"] is None


def test_rdv_an_offset_is_honoured(api, beneficiary):
    starts = (timezone.now() + datetime.timedelta(days=2)).replace(microsecond=0, second=0)
    body = {**appointment_body(), "starts_at": starts.astimezone(datetime.UTC).isoformat()}
    created = api.post(_url(beneficiary), body).json()
    assert datetime.datetime.fromisoformat(created["starts_at"]) == starts


def test_rdv_list_pages_with_a_cursor(api, beneficiary):
    for day in range(1, 4):
        body = {**appointment_body(), "starts_at": f"{today() + datetime.timedelta(days=day)}T10:00:00"}
        assert api.post(_url(beneficiary), body).status_code == 201
    first = api.get(_url(beneficiary), QUERY_STRING="limit=2").json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get(_url(beneficiary) + f"?limit=2&cursor={first['next_cursor']}").json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"starts_at": lambda: f"{today() - datetime.timedelta(days=1)}T10:00:00"}, 409, "starts_at"),
        ({"mode": "inconnu"}, 422, "mode"),
        ({"mode": "presentiel"}, 409, "place"),  # on site without a place
        ({"duration": 1000}, 422, "duration"),
        ({"counselor": 999999}, 409, "counselor"),  # well-formed, refused by the data (REFERENTIEL)
        ({"starts_at": "0001-01-01T00:00:00"}, 422, "starts_at"),
        ({"colour": "rouge"}, 422, "colour"),
    ],
)
def test_rdv_create_refusals(api, beneficiary, change, status, field):
    audits = AuditEntry.objects.count()
    response = api.post(_url(beneficiary), {**appointment_body(), **resolved(change)})
    assert response.status_code == status, response.content
    error = response.json()
    assert error["field"] == field or field in str(error.get("errors")), error
    assert not Appointment.objects.exists() and AuditEntry.objects.count() == audits


def test_r9_honoured_through_the_api_records_the_event_and_moves_the_clock(api, beneficiary, counselor, open_cep):
    cep = open_cep(entry_date=today() - datetime.timedelta(days=100))
    body = {**appointment_body(), "starts_at": f"{today()}T00:05:00", "mode": "presentiel", "place": "antenne"}
    created = api.post(_url(beneficiary), body).json()
    response = api.post(f"appointments/{created['id']}/status", {"status": "honore"})
    assert response.status_code == 200, response.content
    event = Event.objects.get(pk=response.json()["event_id"])
    assert event.is_cep and event.place_id == "antenne" and event.date == today()
    cep.refresh_from_db()
    assert cep.last_manifestation_date == today()
    again = api.post(f"appointments/{created['id']}/status", {"status": "non_honore"})
    assert again.status_code == 409 and again.json()["code"] == "RENDEZ-VOUS"
    assert Event.objects.filter(appointment__isnull=False).count() == 1


def test_r9_no_show_through_the_api_records_nothing(api, beneficiary, open_cep):
    cep = open_cep(entry_date=today() - datetime.timedelta(days=100))
    created = api.post(_url(beneficiary), {**appointment_body(), "starts_at": f"{today()}T00:05:00"}).json()
    events = Event.objects.count()
    response = api.post(f"appointments/{created['id']}/status", {"status": "non_honore"})
    assert response.status_code == 200 and response.json()["event_id"] is None
    assert Event.objects.count() == events
    cep.refresh_from_db()
    assert cep.last_manifestation_date == cep.entry_date


@pytest.mark.parametrize("status", ["prevu", "peut-etre", ""])
def test_rdv_status_values_outside_the_actions_are_422(api, beneficiary, status):
    created = api.post(_url(beneficiary), appointment_body()).json()
    assert api.post(f"appointments/{created['id']}/status", {"status": status}).status_code == 422


def test_rdv_future_rendez_vous_cannot_be_honoured_yet(api, beneficiary):
    created = api.post(_url(beneficiary), appointment_body()).json()
    response = api.post(f"appointments/{created['id']}/status", {"status": "honore"})
    assert response.status_code == 409 and "à partir de ce jour-là" in response.json()["message"]
