"""Every portal page renders for a counselor, in French, and refuses what it must."""

import datetime

import pytest
from django.urls import reverse

from cep.audit.models import AuditEntry, SensitiveAccess
from cep.beneficiaries.models import Beneficiary
from cep.enrolments.models import Cep
from cep.events.services import record_event
from tests.clock import today
from tests.factories import BeneficiaryFactory

pytestmark = pytest.mark.django_db


def test_login_page_and_sign_in(client, counselor):
    page = client.get(reverse("web:login"))
    assert page.status_code == 200
    assert "Connexion au portail conseiller" in page.content.decode()
    bad = client.post(reverse("web:login"), {"username": "conseiller", "password": "faux"})
    assert "Identifiant ou mot de passe incorrect." in bad.content.decode()
    good = client.post(reverse("web:login"), {"username": "conseiller", "password": "motdepasse-solide-123"})
    assert good.status_code == 302 and good.url == reverse("web:home")


def test_logout_is_post_only(signed_in):
    assert signed_in.get(reverse("web:logout")).status_code == 405
    response = signed_in.post(reverse("web:logout"))
    assert response.status_code == 302
    assert signed_in.get(reverse("web:home")).status_code == 302  # signed out


def test_anonymous_is_sent_to_login(client, beneficiary):
    response = client.get(reverse("web:dossier", args=[beneficiary.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("web:login"))


def test_observer_sees_no_personal_data(client, observer, beneficiary):
    client.force_login(observer)
    home = client.get(reverse("web:home"), follow=True)
    assert "agrégés" in home.content.decode() or home.redirect_chain
    assert client.get(reverse("web:dossier", args=[beneficiary.pk])).status_code == 403
    assert client.get(reverse("web:beneficiary_search")).status_code == 403


def test_other_structure_dossier_is_404(client, other_counselor, beneficiary):
    client.force_login(other_counselor)
    for name in ("web:dossier", "web:identity", "web:complements", "web:dispositifs", "web:events"):
        assert client.get(reverse(name, args=[beneficiary.pk])).status_code == 404


def test_home_lists_my_beneficiaries_ceps_and_closing_soon(signed_in, beneficiary, open_cep):
    cep = open_cep(entry_date=today() - datetime.timedelta(days=200))
    Cep.objects.filter(pk=cep.pk).update(last_manifestation_date=today() - datetime.timedelta(days=170))
    html = signed_in.get(reverse("web:home")).content.decode()
    assert str(beneficiary) in html
    assert "Conseil personnalisé (phase 2) : 1" in html
    expected = (today() - datetime.timedelta(days=170)).replace()  # + 6 months below
    from cep.common.dates import add_months

    assert add_months(expected, 6).strftime("%d/%m/%Y") in html


def test_home_does_not_list_ceps_active_recently(signed_in, beneficiary, open_cep):
    open_cep(entry_date=today() - datetime.timedelta(days=20))
    html = signed_in.get(reverse("web:home")).content.decode()
    assert "Aucun CEP ne sera clôturé automatiquement" in html


def test_search_is_accent_and_case_insensitive(signed_in, structure, counselor):
    BeneficiaryFactory(structure=structure, last_name="Éloïse-Noël", first_name="Zoé", referent=counselor)
    BeneficiaryFactory(structure=structure, last_name="Martin", first_name="Paul", referent=counselor)
    html = signed_in.get(reverse("web:beneficiary_search"), {"q": "eloise NOEL"}).content.decode()
    assert "ÉLOÏSE-NOËL" in html and "MARTIN" not in html


def test_search_first_name_first_typo_date_and_phone_with_the_total(signed_in, structure, counselor):
    wanted = BeneficiaryFactory(
        structure=structure, last_name="Bégué", first_name="Michelle", birth_date=datetime.date(2006, 5, 14),
        phone="06 12 34 56 78", referent=counselor,
    )  # fmt: skip
    BeneficiaryFactory(structure=structure, last_name="Martin", first_name="Paul", referent=counselor)
    url = reverse("web:beneficiary_search")
    for typed in ("michelle begue", "begue michelle", "14/05/2006", "06 12 34 56 78"):
        response = signed_in.get(url, {"q": typed}, HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert response.context["page"].rows == [wanted] and "1 personne" in html, typed
        assert "Résultats approchants" not in html
    html = signed_in.get(url, {"q": "begeu"}).content.decode()
    assert "Résultats approchants" in html and "BÉGUÉ" in html and "MARTIN" not in html
    html = signed_in.get(url, {"q": ""}).content.decode()
    assert "2 personnes" in html


def test_search_an_impossible_date_in_the_box_is_a_french_error_not_a_500(signed_in, beneficiary):
    response = signed_in.get(reverse("web:beneficiary_search"), {"q": "31/02/2006"})
    assert response.status_code == 200
    assert "La date « 31/02/2006 » n&#x27;existe pas" in response.content.decode()


def test_search_htmx_returns_only_results(signed_in, beneficiary):
    response = signed_in.get(reverse("web:beneficiary_search"), {"q": ""}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<table>" in html and "<html" not in html


def test_search_keyset_pagination_walks_every_row_once(signed_in, structure, counselor):
    for i in range(45):
        BeneficiaryFactory(structure=structure, last_name=f"Durand{i:02d}", first_name="Lou", referent=counselor)
    seen, url, params = [], reverse("web:beneficiary_search"), {"q": "durand"}
    for _ in range(5):
        response = signed_in.get(url, params)
        page = response.context["page"]
        seen += [b.pk for b in page.rows]
        if not page.next_cursor:
            break
        params = {"q": "durand", "after": page.next_cursor}
    assert len(seen) == 45 == len(set(seen))


def test_search_tampered_cursor_is_first_page(signed_in, beneficiary):
    response = signed_in.get(reverse("web:beneficiary_search"), {"after": "%%%not-a-cursor"})
    assert response.status_code == 200 and beneficiary in response.context["page"].rows


def test_search_filters(signed_in, structure, counselor, open_cep, beneficiary):
    open_cep()
    other = BeneficiaryFactory(structure=structure, referent=counselor, status="incomplete", justified_at=None)
    rows = signed_in.get(reverse("web:beneficiary_search"), {"cep_state": "phase2"}).context["page"].rows
    assert rows == [beneficiary]
    rows = signed_in.get(reverse("web:beneficiary_search"), {"status": "incomplete"}).context["page"].rows
    assert rows == [other]
    rows = signed_in.get(reverse("web:beneficiary_search"), {"cep_state": "none"}).context["page"].rows
    assert rows == [other]
    bad = signed_in.get(reverse("web:beneficiary_search"), {"birth_date": "31/02/2000"})
    assert "Saisissez une date valide" in bad.content.decode()


def _create_data(**extra):
    return {
        "last_name": "Dupont",
        "first_name": "Léa",
        "sex": "F",
        "birth_date": "2004-05-06",
        "first_reception_date": (today() - datetime.timedelta(days=60)).isoformat(),
        **extra,
    }


def test_create_then_duplicate_warning_then_create_anyway(signed_in, structure):
    url = reverse("web:beneficiary_create")
    first = signed_in.post(url, _create_data())
    assert first.status_code == 302
    original = Beneficiary.objects.get(last_name="Dupont")
    # one typo away, same birth date: warned, nothing created
    second = signed_in.post(url, _create_data(last_name="Dupond", first_name="Lea"))
    html = second.content.decode()
    assert second.status_code == 200 and "Doublon probable" in html
    assert reverse("web:dossier", args=[original.pk]) in html
    assert "Il ne s&#x27;agit pas de la même personne" in html or "Il ne s'agit pas de la même personne" in html
    assert Beneficiary.objects.count() == 1
    third = signed_in.post(url, _create_data(last_name="Dupond", first_name="Lea", not_duplicate="on"))
    assert third.status_code == 302 and Beneficiary.objects.count() == 2


def test_create_errors_are_next_to_their_field(signed_in):
    response = signed_in.post(
        reverse("web:beneficiary_create"), _create_data(first_reception_date="2000-01-01", birth_date="2004-05-06")
    )
    html = response.content.decode()
    assert 'id="id_first_reception_date-desc-error"' in html
    assert "antérieure à la date de naissance" in html
    assert 'aria-describedby="id_first_reception_date_helptext id_first_reception_date-desc-error"' in html


def test_justify_shows_missing_fields_then_justifies(signed_in, structure, counselor):
    b = BeneficiaryFactory(
        structure=structure, referent=counselor, status="incomplete", justified_at=None, qualification_level=None
    )
    html = signed_in.get(reverse("web:dossier", args=[b.pk])).content.decode()
    assert "le niveau de qualification" in html
    response = signed_in.post(reverse("web:justify", args=[b.pk]), follow=True)
    assert "Le dossier ne peut pas être justifié" in response.content.decode()
    b.qualification_level_id = "niveau_3"
    b.save()
    response = signed_in.post(reverse("web:justify", args=[b.pk]), follow=True)
    assert "au statut « Justifié »" in response.content.decode()
    b.refresh_from_db()
    assert b.status == "justified"


def test_eligibility_message_on_synthesis(signed_in, structure, counselor):
    b = BeneficiaryFactory(structure=structure, referent=counselor, birth_date=today().replace(year=today().year - 40))
    html = signed_in.get(reverse("web:dossier", args=[b.pk])).content.decode()
    assert "de 16 à 25 ans" in html


def test_complements_logs_each_rqth_display(signed_in, beneficiary):
    url = reverse("web:complements", args=[beneficiary.pk])
    signed_in.get(url)
    signed_in.get(url)
    assert SensitiveAccess.objects.filter(beneficiary_id=beneficiary.pk, channel="web").count() == 2
    # RQTH appears only on Compléments
    assert "RQTH" not in signed_in.get(reverse("web:identity", args=[beneficiary.pk])).content.decode()


def test_edit_sections_go_through_the_service(signed_in, beneficiary):
    response = signed_in.post(
        reverse("web:contact", args=[beneficiary.pk]),
        {"email": "lea@example.org", "phone": "0600000000", "address": "1 cours Napoléon", "commune": "Ajaccio"},
    )
    assert response.status_code == 302
    beneficiary.refresh_from_db()
    assert beneficiary.commune_id == "2A004" and beneficiary.email == "lea@example.org"
    assert AuditEntry.objects.filter(action="update_beneficiary", object_id=beneficiary.pk).exists()
    bad = signed_in.post(reverse("web:contact", args=[beneficiary.pk]), {"commune": "Zzzzzville"})
    assert "Aucune commune ne correspond" in bad.content.decode()


def test_rome_code_is_checked(signed_in, beneficiary):
    response = signed_in.post(
        reverse("web:complements", args=[beneficiary.pk]),
        {"employment_status": "etudiant", "qualification_level": "niveau_4", "target_rome_code": "123"},
    )
    assert "Le code ROME est une lettre" in response.content.decode()


def test_communes_suggestions(signed_in):
    html = signed_in.get(reverse("web:communes"), {"commune": "2000"}).content.decode()
    assert "Ajaccio" in html


def test_events_list_and_filters(signed_in, beneficiary, counselor, event_fields):
    old = record_event(
        beneficiary=beneficiary, actor=counselor, date=today() - datetime.timedelta(days=10), **event_fields
    )
    record_event(beneficiary=beneficiary, actor=counselor, date=today(), comment="Aujourd'hui", **event_fields)
    url = reverse("web:events", args=[beneficiary.pk])
    assert len(signed_in.get(url).context["events"]) == 2
    assert len(signed_in.get(url, {"scope": "in_progress"}).context["events"]) == 1
    rows = signed_in.get(url, {"date_to": (today() - datetime.timedelta(days=5)).isoformat()}).context["events"]
    assert rows == [old]
    assert signed_in.get(url, {"actions": "with_services"}).context["events"] == []


def test_events_list_filters_on_the_cep_context(signed_in, beneficiary, counselor, event_fields, refdata):
    from cep.referentials.models import EventContext

    cep = record_event(beneficiary=beneficiary, actor=counselor, date=today(), **event_fields)
    fields = {**event_fields, "primary_context": EventContext.objects.get(code="emploi")}
    other = record_event(beneficiary=beneficiary, actor=counselor, date=today(), **fields)
    url = reverse("web:events", args=[beneficiary.pk])
    page = signed_in.get(url)
    assert "Contexte CEP" in page.content.decode() and len(page.context["events"]) == 2
    assert signed_in.get(url, {"cep_context": "oui"}).context["events"] == [cep]
    assert signed_in.get(url, {"cep_context": "non"}).context["events"] == [other]
    assert signed_in.get(url, {"cep_context": "peut-être"}).status_code == 200  # a form error, never a 500


def test_event_form_records_and_refuses(signed_in, beneficiary, counselor):
    url = reverse("web:event_add", args=[beneficiary.pk])
    data = {
        "date": today().isoformat(),
        "primary_context": "cep",
        "secondary_context": "cep",
        "direction": "beneficiaire_vers_structure",
        "nature": "entretien_individuel",
        "place": "siege",
        "function": "conseiller",
        "intervener": counselor.pk,
        "delivery_mode": "a_distance",
        "group_mode": "collectif",
        "comment": "x" * 256,
    }
    html = signed_in.post(url, data).content.decode()
    assert "255 caractères" in html
    data["comment"] = "Premier entretien"
    html = signed_in.post(url, data).content.decode()
    assert "Un même contexte ne peut être choisi deux fois." in html
    data["secondary_context"] = "formation"
    data["walk_in"] = "on"
    assert signed_in.post(url, data).status_code == 302
    event = beneficiary.events.get()
    assert event.is_cep and event.walk_in and event.delivery_mode == "a_distance" and event.group_mode == "collectif"


def test_events_keyset_pagination(signed_in, beneficiary, counselor, event_fields, monkeypatch):
    from web.views import events as events_view

    monkeypatch.setattr(events_view, "PAGE", 4)
    for i in range(10):
        record_event(
            beneficiary=beneficiary, actor=counselor, date=today() - datetime.timedelta(days=i % 3), **event_fields
        )
    url, params, seen = reverse("web:events", args=[beneficiary.pk]), {}, []
    for _ in range(5):
        response = signed_in.get(url, params)
        seen += [e.pk for e in response.context["events"]]
        if not response.context["next_cursor"]:
            break
        assert "Événements plus anciens" in response.content.decode()
        params = {"avant": response.context["next_cursor"]}
    assert len(seen) == 10 == len(set(seen))
    assert signed_in.get(url, {"avant": "n'importe-quoi"}).status_code == 200


def test_admin_without_structure_cannot_create_but_gets_no_500(client, refdata):
    from cep.accounts.rights import Role
    from tests.factories import UserFactory

    admin = UserFactory(username="admin", role=Role.ADMIN, structure=None)
    client.force_login(admin)
    response = client.post(reverse("web:beneficiary_create"), _create_data())
    assert response.status_code == 200 and "aucune structure" in response.content.decode()
    assert not Beneficiary.objects.exists()
    assert client.get(reverse("web:home")).status_code == 200
    assert client.get(reverse("web:beneficiary_search")).status_code == 200


def test_manager_home_covers_the_whole_structure(client, manager, beneficiary, open_cep):
    open_cep()  # the beneficiary's referent is the counselor, not the manager
    client.force_login(manager)
    html = client.get(reverse("web:home")).content.decode()
    assert "CEP en cours dans la structure" in html
    assert "Conseil personnalisé (phase 2) : 1" in html and str(beneficiary) in html


def test_counselor_home_counts_only_their_people(client, counselor, structure, manager, open_cep, beneficiary):
    open_cep()
    beneficiary.referent = manager
    beneficiary.save()
    client.force_login(counselor)
    assert "Conseil personnalisé (phase 2) : 0" in client.get(reverse("web:home")).content.decode()


def test_rqth_reads_on_the_pages_are_logged_once_per_display(signed_in, beneficiary, counselor):
    def logged() -> int:
        return SensitiveAccess.objects.filter(beneficiary_id=beneficiary.pk, channel="web", field="rqth").count()

    url = reverse("web:complements", args=[beneficiary.pk])
    assert signed_in.get(url).status_code == 200 and logged() == 1
    refused = signed_in.post(url, {"employment_status": "etudiant", "target_rome_code": "123"})
    assert refused.status_code == 200 and logged() == 2  # the form is shown again, with the RQTH: one more read
    saved = signed_in.post(url, {"employment_status": "etudiant", "qualification_level": "niveau_4", "has_rqth": "on"})
    assert saved.status_code == 302 and logged() == 2  # a redirect shows nothing
    for section in ("web:identity", "web:contact", "web:dossier", "web:events", "web:dispositifs"):
        signed_in.get(reverse(section, args=[beneficiary.pk]))
    assert logged() == 2  # only Compléments shows the RQTH
    access = SensitiveAccess.objects.filter(beneficiary_id=beneficiary.pk).latest("id")
    assert access.actor_id == counselor.pk
