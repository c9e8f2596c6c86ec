"""Suivi › Dispositifs: each CEP action through the pages, refusals shown next to their field."""

import datetime

import pytest
from django.urls import reverse

from cep.enrolments.models import Cep
from cep.enrolments.workflow import Status
from cep.events.models import Event
from cep.offers.services import propose_offer
from tests.clock import today

pytestmark = pytest.mark.django_db


def _open_data(**extra):
    return {
        "orientation_source": "ma_structure_entree_directe",
        "entry_date": (today() - datetime.timedelta(days=30)).isoformat(),
        "request_reason": "reconversion",
        "entry_phase": "2",
        **extra,
    }


def test_add_cep_with_all_entry_fields(signed_in, beneficiary):
    url = reverse("web:cep_add", args=[beneficiary.pk])
    html = signed_in.get(url).content.decode()
    for label in (
        "Aiguilleur",
        "Date d&#x27;entretien d&#x27;initialisation",
        "Date d&#x27;entrée",
        "Motif de la sollicitation",
        "Phase",
        "Nom du prescripteur",
        "Nom du référent",
        "Type de projet",
    ):
        assert label in html, label
    response = signed_in.post(
        url,
        _open_data(
            initial_interview_date=(today() - datetime.timedelta(days=31)).isoformat(),
            prescriber_name="France Travail Ajaccio",
            referent_name="M. Santoni",
            project_type="reconversion",
        ),
    )
    assert response.status_code == 302
    cep = Cep.objects.get(beneficiary=beneficiary)
    assert cep.status == Status.PHASE2 and cep.prescriber_name == "France Travail Ajaccio"


def test_level1_orientation_needs_a_level1_service(signed_in, beneficiary, counselor, level1_offer, event_fields):
    url = reverse("web:cep_add", args=[beneficiary.pk])
    response = signed_in.post(url, _open_data(orientation_source="ma_structure_suite_niveau1"))
    html = response.content.decode()
    assert 'id="id_orientation_source-desc-error"' in html and "service CEP de niveau 1" in html
    assert not Cep.objects.exists()
    propose_offer(
        beneficiary=beneficiary,
        offer=level1_offer,
        actor=counselor,
        proposed_on=today() - datetime.timedelta(days=40),
        event={k: v for k, v in event_fields.items()},
    )
    assert signed_in.post(url, _open_data(orientation_source="ma_structure_suite_niveau1")).status_code == 302


def test_r2_new_cep_before_the_previous_one_closed_is_refused_next_to_the_entry_date(
    signed_in, beneficiary, counselor, cep_refs
):
    from cep.enrolments.services import close_cep, open_cep

    previous = open_cep(
        beneficiary=beneficiary,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=today() - datetime.timedelta(days=60),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    end = today() - datetime.timedelta(days=20)
    close_cep(cep=previous, actor=counselor, end_date=end, exit_reason=cep_refs["formalised"])
    url = reverse("web:cep_add", args=[beneficiary.pk])
    html = signed_in.post(url, _open_data()).content.decode()
    assert 'id="id_entry_date-desc-error"' in html
    assert f"s&#x27;est terminé le {end.strftime('%d/%m/%Y')} : le nouveau commence au plus tôt ce jour-là." in html
    assert Cep.objects.count() == 1
    assert signed_in.post(url, _open_data(entry_date=end.isoformat())).status_code == 302


def test_r1_unjustified_dossier(signed_in, beneficiary):
    beneficiary.status, beneficiary.justified_at = "incomplete", None
    beneficiary.save()
    html = signed_in.post(reverse("web:cep_add", args=[beneficiary.pk]), _open_data()).content.decode()
    assert "Le dossier doit être au statut « Justifié »" in html


def test_phase3_r5_error_next_to_the_date_then_success_and_cancel(signed_in, open_cep):
    cep = open_cep()
    url = reverse("web:cep_phase3", args=[cep.pk])
    html = signed_in.post(url, {"phase3_entry_date": cep.phase2_entry_date.isoformat()}).content.decode()
    assert 'id="id_phase3_entry_date-desc-error"' in html and "au plus tôt le lendemain" in html
    cep.refresh_from_db()
    assert cep.status == Status.PHASE2
    on = cep.phase2_entry_date + datetime.timedelta(days=1)
    assert signed_in.post(url, {"phase3_entry_date": on.isoformat()}).status_code == 302
    cep.refresh_from_db()
    assert cep.status == Status.PHASE3
    page = signed_in.get(reverse("web:dispositifs", args=[cep.beneficiary_id])).content.decode()
    assert "Annuler le passage en phase 3" in page and "Passer en phase 3" not in page
    signed_in.post(reverse("web:cep_cancel_phase3", args=[cep.pk]))
    cep.refresh_from_db()
    assert cep.status == Status.PHASE2 and cep.phase3_entry_date is None


def test_phase3_in_the_future_offers_cancel_but_not_close(signed_in, open_cep, counselor):
    from cep.enrolments.services import move_to_phase3

    cep = move_to_phase3(cep=open_cep(), on=today() + datetime.timedelta(days=15), actor=counselor)
    page = signed_in.get(reverse("web:dispositifs", args=[cep.beneficiary_id])).content.decode()
    assert "Annuler le passage en phase 3" in page and "Modifier" in page
    assert "Clôturer le dispositif" not in page


def test_phase3_in_the_future_is_shown_as_phase2_until_its_eve(signed_in, open_cep, counselor):
    from cep.enrolments.services import move_to_phase3

    start = today() + datetime.timedelta(days=15)
    cep = move_to_phase3(cep=open_cep(), on=start, actor=counselor)
    planned = f"Phase 2 – Conseil personnalisé (phase 3 prévue le {start:%d/%m/%Y})"
    page = signed_in.get(reverse("web:dispositifs", args=[cep.beneficiary_id])).content.decode()
    assert planned in page and f"prévue le {start:%d/%m/%Y}" in page and "depuis le" not in page
    synthesis = signed_in.get(reverse("web:dossier", args=[cep.beneficiary_id])).content.decode()
    assert planned in synthesis
    assert planned in signed_in.get(reverse("web:cep_history", args=[cep.pk])).content.decode()
    home = signed_in.get(reverse("web:home")).content.decode()
    assert "Conseil personnalisé (phase 2) : 1" in home and "(phase 3) : 0" in home
    found = signed_in.get(reverse("web:beneficiary_search"), {"cep_state": "phase2"}).context["page"].rows
    assert [b.pk for b in found] == [cep.beneficiary_id]
    assert signed_in.get(reverse("web:beneficiary_search"), {"cep_state": "phase3"}).context["page"].rows == []


def test_structure_without_distinct_phases_offers_neither_phase3_entry_nor_passage(
    signed_in, beneficiary, structure, open_cep
):
    structure.distinguishes_phases = False
    structure.save()
    url = reverse("web:cep_add", args=[beneficiary.pk])
    html = signed_in.get(url).content.decode()
    assert 'name="entry_phase" value="2"' in html and 'name="entry_phase" value="3"' not in html
    assert "ne distingue pas les phases 2 et 3" in html
    assert signed_in.post(url, _open_data(entry_phase="3")).status_code == 200
    assert not Cep.objects.exists()
    cep = open_cep()
    page = signed_in.get(reverse("web:dispositifs", args=[cep.beneficiary_id])).content.decode()
    assert "Clôturer le dispositif" in page and "Passer en phase 3" not in page


def test_modify_only_modifiable_fields(signed_in, open_cep):
    cep = open_cep()
    url = reverse("web:cep_modify", args=[cep.pk])
    html = signed_in.get(url).content.decode()
    assert 'name="entry_date"' not in html and 'name="initial_interview_date"' not in html
    assert cep.entry_date.strftime("%d/%m/%Y") in html
    response = signed_in.post(
        url,
        {
            "orientation_source": "france_travail",
            "request_reason": "reconversion",
            "prescriber_name": "P",
            "referent_name": "R",
            "project_type": "reconversion",
            "entry_date": "2000-01-01",
        },
    )
    assert response.status_code == 302
    cep.refresh_from_db()
    assert cep.orientation_source_id == "france_travail" and cep.entry_date != datetime.date(2000, 1, 1)


def test_close_r8_without_project_type_then_close_reopen(signed_in, open_cep):
    cep = open_cep()
    url = reverse("web:cep_close", args=[cep.pk])
    # htmx: choosing « Plan d'action réalisé » marks the project type as required
    fragment = signed_in.get(url, {"exit_reason": "plan_action_realise"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="project-type"' in fragment and "(obligatoire)" in fragment and "<html" not in fragment
    html = signed_in.post(
        url, {"end_date": today().isoformat(), "exit_reason": "plan_action_realise"}
    ).content.decode()
    assert 'id="id_project_type-desc-error"' in html and "Le type de projet est obligatoire" in html
    future = signed_in.post(
        url, {"end_date": (today() + datetime.timedelta(days=1)).isoformat(), "exit_reason": "demenagement"}
    ).content.decode()
    assert "par anticipation" in future
    response = signed_in.post(
        url, {"end_date": today().isoformat(), "exit_reason": "plan_action_realise", "project_type": "reconversion"}
    )
    assert response.status_code == 302
    cep.refresh_from_db()
    assert cep.status == Status.CLOSED and cep.project_type_id == "reconversion"
    page = signed_in.get(reverse("web:dispositifs", args=[cep.beneficiary_id])).content.decode()
    assert "Rouvrir" in page and "Clôturer le dispositif" not in page
    assert "Passer en phase 3" not in page
    signed_in.post(reverse("web:cep_reopen", args=[cep.pk]))
    cep.refresh_from_db()
    assert cep.status == Status.PHASE2


def test_close_prefills_project_type(signed_in, open_cep, cep_refs):
    cep = open_cep(project_type=cep_refs["project"])
    html = signed_in.get(reverse("web:cep_close", args=[cep.pk])).content.decode()
    assert '<option value="reconversion" selected>' in html


def test_refused_reopen_after_death_is_a_message(signed_in, open_cep):
    cep = open_cep()
    signed_in.post(reverse("web:cep_close", args=[cep.pk]), {"end_date": today().isoformat(), "exit_reason": "deces"})
    page = signed_in.post(reverse("web:cep_reopen", args=[cep.pk]), follow=True).content.decode()
    assert "ne peut pas être rouvert" in page


def test_delete_with_modal_and_system_event(signed_in, open_cep):
    cep = open_cep()
    page = signed_in.get(reverse("web:dispositifs", args=[cep.beneficiary_id])).content.decode()
    assert f'<dialog aria-labelledby="modal-delete-{cep.pk}-title" id="modal-delete-{cep.pk}" class="fr-modal"' in page
    assert signed_in.get(reverse("web:cep_delete", args=[cep.pk])).status_code == 200  # confirmation page
    cep.refresh_from_db()
    assert cep.status == Status.PHASE2  # GET deletes nothing
    signed_in.post(reverse("web:cep_delete", args=[cep.pk]))
    cep.refresh_from_db()
    assert cep.status == Status.DELETED
    assert Event.objects.filter(
        beneficiary_id=cep.beneficiary_id, primary_context_id="suppression_dispositif"
    ).exists()
    assert signed_in.get(reverse("web:cep_history", args=[cep.pk])).status_code == 404


def test_history_timeline_in_french(signed_in, open_cep, counselor):
    cep = open_cep()
    signed_in.post(
        reverse("web:cep_modify", args=[cep.pk]),
        {"orientation_source": "france_travail", "request_reason": "reconversion", "project_type": "reconversion"},
    )
    html = signed_in.get(reverse("web:cep_history", args=[cep.pk])).content.decode()
    assert "Ajout du dispositif" in html and "Modification" in html
    assert "Ma ML – entrée directe niveau 2 ou 3 → Pôle emploi / France Travail" in html
    assert "Motif de la sollicitation" in html and str(counselor) in html
    assert "ma_structure_entree_directe" not in html


def test_other_structure_cep_is_404(client, other_counselor, open_cep):
    cep = open_cep()
    client.force_login(other_counselor)
    for name in ("web:cep_phase3", "web:cep_modify", "web:cep_close", "web:cep_history", "web:cep_delete"):
        assert client.get(reverse(name, args=[cep.pk])).status_code == 404
    assert client.post(reverse("web:cep_delete", args=[cep.pk])).status_code == 404
    cep.refresh_from_db()
    assert cep.status == Status.PHASE2


def test_modify_aiguilleur_after_level1_without_level1_service_shows_the_error(signed_in, open_cep):
    cep = open_cep()
    before = Cep.objects.filter(pk=cep.pk).values().get()
    response = signed_in.post(
        reverse("web:cep_modify", args=[cep.pk]),
        {"orientation_source": "ma_structure_suite_niveau1", "request_reason": "prise_de_recul"},
    )
    assert response.status_code == 200
    assert "niveau 1" in response.content.decode()
    assert Cep.objects.filter(pk=cep.pk).values().get() == before


def test_r4_form_shows_every_refusal_in_one_submission(signed_in, beneficiary):
    """A late interview date and « suite niveau 1 » without a level-1 service: both messages, next to their field."""
    url = reverse("web:cep_add", args=[beneficiary.pk])
    response = signed_in.post(
        url,
        _open_data(
            orientation_source="ma_structure_suite_niveau1",
            initial_interview_date=(today() - datetime.timedelta(days=10)).isoformat(),
        ),
    )
    html = response.content.decode()
    assert 'id="id_orientation_source-desc-error"' in html and "service CEP de niveau 1" in html
    assert 'id="id_initial_interview_date-desc-error"' in html and "doit précéder ou égaler" in html
    assert not Cep.objects.exists()


def test_r8_closing_before_a_future_phase3_says_the_way_out_with_the_button(signed_in, open_cep, counselor):
    from cep.enrolments.services import move_to_phase3

    start = today() + datetime.timedelta(days=15)
    cep = move_to_phase3(cep=open_cep(), on=start, actor=counselor)
    page = signed_in.get(reverse("web:dispositifs", args=[cep.beneficiary_id])).content.decode()
    box = page[page.index(f'id="cep-{cep.pk}-close-blocked"') :]
    assert f"annulez le passage en phase 3 ou attendez le {start:%d/%m/%Y}" in box[:1500]
    assert reverse("web:cep_cancel_phase3", args=[cep.pk]) in box[:1500]
    # The closing page itself (a bookmark): the same way out, and no date field it would refuse
    close = signed_in.get(reverse("web:cep_close", args=[cep.pk])).content.decode()
    assert "annulez le passage en phase 3" in close and 'name="end_date"' not in close
    assert reverse("web:cep_cancel_phase3", args=[cep.pk]) in close


def test_r10_refused_reopening_says_why_and_what_to_do_next_to_the_button(signed_in, open_cep, counselor):
    from cep.enrolments.services import close_cep
    from cep.referentials.models import ExitReason

    cep = open_cep(entry_date=today() - datetime.timedelta(days=200))
    close_cep(
        cep=cep,
        actor=counselor,
        end_date=today() - datetime.timedelta(days=120),
        exit_reason=ExitReason.objects.get(code="demenagement"),
    )
    page = signed_in.get(reverse("web:dispositifs", args=[cep.beneficiary_id])).content.decode()
    assert f'id="cep-{cep.pk}-reopen-blocked"' in page and "dans les trois mois de sa clôture" in page
    assert "ajoutez un nouveau dispositif CEP" in page and reverse("web:cep_add", args=[cep.beneficiary_id]) in page
    assert ">Rouvrir<" not in page


def test_r10_death_refusal_is_shown_without_a_new_cep_link(signed_in, open_cep):
    cep = open_cep()
    signed_in.post(reverse("web:cep_close", args=[cep.pk]), {"end_date": today().isoformat(), "exit_reason": "deces"})
    page = signed_in.get(reverse("web:dispositifs", args=[cep.beneficiary_id])).content.decode()
    assert f'id="cep-{cep.pk}-reopen-blocked"' in page and "ne peut pas être rouvert" in page
    assert "Ajouter un nouveau dispositif CEP" not in page


def test_closed_cep_shows_its_phases_first_and_last_days(signed_in, open_cep, counselor):
    from cep.enrolments.services import close_cep, move_to_phase3
    from cep.referentials.models import ExitReason

    entry, phase3 = today() - datetime.timedelta(days=100), today() - datetime.timedelta(days=50)
    cep = move_to_phase3(cep=open_cep(entry_date=entry), on=phase3, actor=counselor)
    close_cep(cep=cep, actor=counselor, end_date=today(), exit_reason=ExitReason.objects.get(code="demenagement"))
    page = signed_in.get(reverse("web:dispositifs", args=[cep.beneficiary_id])).content.decode()
    eve = phase3 - datetime.timedelta(days=1)
    assert f"du {entry:%d/%m/%Y} au {eve:%d/%m/%Y}" in page
    assert f"du {phase3:%d/%m/%Y} au {today():%d/%m/%Y}" in page and "depuis le" not in page


def test_cep_referent_name_proposes_the_structure_counselors_and_defaults_to_the_dossier_referent(
    signed_in, beneficiary, counselor
):
    html = signed_in.get(reverse("web:cep_add", args=[beneficiary.pk])).content.decode()
    name = counselor.get_full_name()
    assert 'list="referents-list"' in html and f'<option value="{name}">' in html
    assert f'name="referent_name" value="{name}"' in html
