"""Suivi › Rendez-vous, the home page's rendez-vous and automatic exits, the agenda feed (.ics) and its link."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from cep.appointments import feed
from cep.appointments.models import Appointment, Status
from cep.events.models import Event
from tests.clock import today
from tests.factories import UserFactory
from tests.factories import paris_at as at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fixtures(book):
    pass


def _tab(pk):
    return reverse("web:appointments", args=[pk])


# --- the tab ------------------------------------------------------------------------------------------------


def test_rdv_tab_lists_and_books(signed_in, beneficiary, counselor):
    page = signed_in.get(_tab(beneficiary.pk)).content.decode()
    assert "Aucun rendez-vous à venir" in page and "Prendre un rendez-vous" in page
    assert "Format : jj/mm/aaaa" in page and 'type="time"' in page
    day = today() + datetime.timedelta(days=2)
    response = signed_in.post(
        _tab(beneficiary.pk),
        {
            "day": day.strftime("%d/%m/%Y"),
            "time": "14:30",
            "duration": "60",
            "mode": "presentiel",
            "place": "siege",
            "counselor": counselor.pk,
            "subject": "Point d'étape",
        },
    )
    assert response.status_code == 302 and response.url == _tab(beneficiary.pk)
    appointment = Appointment.objects.get()
    assert appointment.starts_at == at(14, 30, days=2) and appointment.duration == 60
    page = signed_in.get(_tab(beneficiary.pk)).content.decode()
    assert f"{day:%d/%m/%Y} à 14:30" in page and "Point d&#x27;étape" in page and "est pris" in page


def test_rdv_tab_refuses_a_past_day_next_to_the_date(signed_in, beneficiary, counselor):
    response = signed_in.post(
        _tab(beneficiary.pk),
        {
            "day": (today() - datetime.timedelta(days=1)).isoformat(),
            "time": "10:00",
            "duration": "45",
            "mode": "telephone",
            "counselor": counselor.pk,
        },
    )
    assert response.status_code == 200
    assert "s&#x27;enregistre comme un événement" in response.content.decode()
    assert response.context["form"].errors["day"]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"day": "31/02/2027", "time": "10:00"},
        {"day": "demain", "time": "10:00"},
        {"time": "25:00"},
        {"duration": "7"},
        {"mode": "inconnu"},
        {"counselor": "999999"},
    ],
)
def test_rdv_bad_input_is_a_french_form_error_never_a_500(signed_in, beneficiary, counselor, data):
    base = {
        "day": (today() + datetime.timedelta(days=1)).isoformat(),
        "time": "10:00",
        "duration": "45",
        "mode": "telephone",
        "counselor": counselor.pk,
    }
    response = signed_in.post(_tab(beneficiary.pk), {**base, **data})
    assert response.status_code == 200 and response.context["form"].errors
    assert not Appointment.objects.exists()


def test_rdv_honoured_without_javascript_records_the_event(signed_in, book, beneficiary):
    appointment = book(at(0, 5))
    response = signed_in.post(reverse("web:appointment_status", args=[appointment.pk]), {"status": "honore"})
    assert response.status_code == 302 and response.url == _tab(beneficiary.pk)
    appointment.refresh_from_db()
    assert appointment.status == Status.HONOURED and Event.objects.filter(pk=appointment.event_id).exists()
    page = signed_in.get(_tab(beneficiary.pk)).content.decode()
    assert "son événement est enregistré" in page and "Voir l'événement" in page


def test_rdv_status_with_htmx_swaps_the_lists(signed_in, book):
    appointment = book(at(0, 5))
    url = reverse("web:appointment_status", args=[appointment.pk])
    response = signed_in.post(url, {"status": "non_honore"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and '<div id="appointments-lists"' in html
    assert "Non honoré" in html and "<html" not in html
    refused = signed_in.post(url, {"status": "annule"}, HTTP_HX_REQUEST="true").content.decode()
    assert "fr-alert--error" in refused and "ne peut pas passer" in refused


def test_rdv_refused_status_without_javascript_is_a_message(signed_in, book):
    appointment = book(at(9, 0, days=3))
    response = signed_in.post(
        reverse("web:appointment_status", args=[appointment.pk]), {"status": "honore"}, follow=True
    )
    assert "à partir de ce jour-là" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.PLANNED


def test_rdv_another_structures_rendez_vous_is_404(client, book, other_structure):
    appointment = book(at(0, 5))
    outsider = UserFactory(username="conseiller_ailleurs", structure=other_structure)
    client.force_login(outsider)
    assert (
        client.post(reverse("web:appointment_status", args=[appointment.pk]), {"status": "honore"}).status_code == 404
    )
    assert client.get(_tab(appointment.beneficiary_id)).status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == Status.PLANNED


def test_rdv_the_requests_tab_is_gone(signed_in, beneficiary):
    page = signed_in.get(reverse("web:dossier", args=[beneficiary.pk])).content.decode()
    assert ">Demandes<" not in page and ">Rendez-vous<" in page
    assert signed_in.get(f"/beneficiaires/{beneficiary.pk}/demandes/").status_code == 404


def test_rdv_tab_query_count_does_not_grow_with_rows(signed_in, book, structure, counselor, beneficiary):
    book(at(0, 5))
    url = _tab(beneficiary.pk)
    signed_in.get(url)
    with CaptureQueriesContext(connection) as few:
        signed_in.get(url)
    for i in range(1, 10):
        book(at(8 + i, 0, days=i), mode="telephone" if i % 2 else "presentiel", subject=f"n°{i}")
    with CaptureQueriesContext(connection) as many:
        signed_in.get(url)
    assert len(many) <= len(few), [q["sql"][:120] for q in many.captured_queries]


# --- home page --------------------------------------------------------------------------------------------


def test_rdv_home_lists_my_rendez_vous_of_the_day_and_the_week(signed_in, book, counselor, structure):
    book(at(23, 30), subject="Aujourd'hui")
    book(at(10, 0, days=3), mode="telephone")
    book(at(10, 0, days=9), mode="visio")  # beyond the week
    colleague = UserFactory(username="collegue", structure=structure)
    book(at(11, 0, days=1), counselor=colleague)  # not mine
    response = signed_in.get(reverse("web:home"))
    rows = response.context["appointments"]
    assert [a.starts_at for a in rows["today"]] == [at(23, 30)]
    assert [a.starts_at for a in rows["week"]] == [at(10, 0, days=3)]
    html = response.content.decode()
    assert "Mes rendez-vous" in html and "23:30" in html


def test_r9_home_automatic_exits_give_the_phone_and_a_shortcut_back(signed_in, beneficiary, open_cep):
    beneficiary.phone = "06 12 34 56 78"
    beneficiary.save(update_fields=["phone"])
    open_cep(entry_date=today() - datetime.timedelta(days=170))
    html = signed_in.get(reverse("web:home")).content.decode()
    assert 'href="tel:0612345678"' in html
    shortcut = reverse("web:event_add", args=[beneficiary.pk]) + "?next=%2F%23closing-title"
    assert shortcut in html.replace("&amp;", "&")


def test_r9_event_shortcut_returns_to_the_list(signed_in, beneficiary, open_cep, counselor):
    cep = open_cep(entry_date=today() - datetime.timedelta(days=170))
    url = reverse("web:event_add", args=[beneficiary.pk]) + "?next=/%23closing-title"
    form = signed_in.get(url)
    assert 'name="next" value="/#closing-title"' in form.content.decode()
    response = signed_in.post(
        url,
        {
            "next": "/#closing-title",
            "date": today().isoformat(),
            "primary_context": "cep",
            "direction": "beneficiaire_vers_structure",
            "nature": "telephone",
            "place": "siege",
            "function": "conseiller",
            "intervener": counselor.pk,
            "delivery_mode": "a_distance",
            "group_mode": "individuel",
        },
    )
    assert response.status_code == 302 and response.url == "/#closing-title"
    cep.refresh_from_db()
    assert cep.last_manifestation_date == today()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_event_form_ignores_a_foreign_next(signed_in, beneficiary, target):
    page = signed_in.get(reverse("web:event_add", args=[beneficiary.pk]), {"next": target}).content.decode()
    assert "evil.example" not in page and "javascript:" not in page


# --- automatic exit on the dossier ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["web:dossier", "web:dispositifs"])
def test_r9_dossier_pages_announce_the_automatic_exit(signed_in, beneficiary, open_cep, name):
    cep = open_cep(entry_date=today() - datetime.timedelta(days=170))
    html = signed_in.get(reverse(name, args=[beneficiary.pk])).content.decode()
    expected = cep.expected_auto_exit_date
    assert f"Sortie automatique prévue le {expected:%d/%m/%Y}" in html
    assert f"(entrée le {cep.entry_date:%d/%m/%Y}, sans manifestation depuis)" in html
    assert "fr-alert--warning" in html  # within 30 days


@pytest.mark.parametrize("name", ["web:dossier", "web:dispositifs"])
def test_r9_dossier_pages_give_the_last_manifestation(signed_in, beneficiary, open_cep, counselor, event_fields, name):
    from cep.events.services import record_event

    open_cep(entry_date=today() - datetime.timedelta(days=100))
    record_event(beneficiary=beneficiary, actor=counselor, date=today() - datetime.timedelta(days=10), **event_fields)
    html = signed_in.get(reverse(name, args=[beneficiary.pk])).content.decode()
    last = today() - datetime.timedelta(days=10)
    assert f"(dernière manifestation le {last:%d/%m/%Y})" in html
    assert "fr-alert--info" in html and "fr-alert--warning" not in html  # months away


def test_r9_a_closed_cep_announces_no_automatic_exit(signed_in, beneficiary, open_cep, counselor, cep_refs):
    from cep.enrolments.services import close_cep

    cep = open_cep(entry_date=today() - datetime.timedelta(days=20))
    close_cep(cep=cep, actor=counselor, end_date=today(), exit_reason=cep_refs["formalised"])
    html = signed_in.get(reverse("web:dispositifs", args=[beneficiary.pk])).content.decode()
    assert "Sortie automatique prévue" not in html


# --- the agenda feed --------------------------------------------------------------------------------------------


def test_rdv_feed_is_valid_icalendar_with_little_personal_data(client, book, counselor, beneficiary):
    beneficiary.first_name, beneficiary.last_name = "Léa", "Dupont"
    beneficiary.phone = "0612345678"
    beneficiary.save()
    planned = book(at(14, 0, days=1), subject="Santé : arrêt maladie")
    cancelled = book(at(15, 0, days=1), mode="telephone")
    from cep.appointments.services import set_status

    set_status(appointment=cancelled, actor=counselor, status=Status.CANCELLED)
    token = feed.regenerate(counselor)
    response = client.get(reverse("web:appointments_feed", args=[token]))  # no session
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    cal = Calendar.from_ical(response.content)
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    first = events[f"rendez-vous-{planned.pk}@cep"]
    assert str(first["summary"]) == "Rendez-vous – Léa D."
    assert first.decoded("dtstart") == planned.starts_at and first.decoded("dtend") == planned.ends_at
    assert str(events[f"rendez-vous-{cancelled.pk}@cep"]["status"]) == "CANCELLED"
    text = response.content.decode()
    for secret in ("Dupont", "Santé", "0612345678", str(beneficiary.birth_date.year)):
        assert secret not in text


def test_rdv_feed_regenerated_token_revokes_the_old_one(client, counselor):
    old = feed.regenerate(counselor)
    new = feed.regenerate(counselor)
    assert old != new
    assert client.get(reverse("web:appointments_feed", args=[old])).status_code == 404
    assert client.get(reverse("web:appointments_feed", args=[new])).status_code == 200
    assert client.get(reverse("web:appointments_feed", args=["x" * 64])).status_code == 404


def test_rdv_feed_of_a_deactivated_user_is_404(client, counselor):
    token = feed.regenerate(counselor)
    counselor.is_active = False
    counselor.save(update_fields=["is_active"])
    assert client.get(reverse("web:appointments_feed", args=[token])).status_code == 404


def test_rdv_feed_shows_only_my_rendez_vous(client, book, counselor, structure):
    colleague = UserFactory(username="collegue2", structure=structure)
    mine = book(at(9, 0, days=1))
    theirs = book(at(9, 0, days=1), counselor=colleague)
    text = client.get(reverse("web:appointments_feed", args=[feed.regenerate(counselor)])).content.decode()
    assert f"rendez-vous-{mine.pk}@cep" in text and f"rendez-vous-{theirs.pk}@cep" not in text


def test_rdv_account_page_shows_the_link_and_regenerates_it(signed_in, counselor):
    page = signed_in.get(reverse("web:account")).content.decode()
    assert "Créer le lien de l'agenda" in page
    response = signed_in.post(reverse("web:feed_regenerate"), follow=True)
    token = feed.current_token(counselor)
    assert reverse("web:appointments_feed", args=[token]) in response.content.decode()
    assert (
        "Régénérer" in response.content.decode()
        and "l&#x27;ancien lien ne fonctionne plus" in response.content.decode()
    )


def test_rdv_observers_have_no_agenda(client, refdata):
    from cep.accounts.rights import Role

    observer = UserFactory(username="obs", role=Role.NATIONAL_OBSERVER, structure=None)
    token = feed.regenerate(observer)
    assert client.get(reverse("web:appointments_feed", args=[token])).status_code == 404
    client.force_login(observer)
    assert "Agenda de mes rendez-vous" not in client.get(reverse("web:account")).content.decode()
