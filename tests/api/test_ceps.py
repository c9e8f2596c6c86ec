"""Every CEP action through the API, and refusals that return the rule and leave the database unchanged."""

import datetime

import pytest

from cep.audit.models import AuditEntry
from cep.enrolments.models import Cep
from cep.events.models import Event
from tests.api.conftest import with_errors
from tests.clock import today
from tests.factories import BeneficiaryFactory


def entry() -> datetime.date:
    """The entry date of the CEP the tests open: 100 days ago."""
    return today() - datetime.timedelta(days=100)


def open_body() -> dict:
    return {
        "orientation_source": "ma_structure_entree_directe",
        "entry_date": str(entry()),
        "entry_phase": 2,
        "request_reason": "prise_de_recul",
        "initial_interview_date": str(entry() - datetime.timedelta(days=3)),
        "prescriber_name": "France Travail",
    }


@pytest.fixture
def cep_id(api, beneficiary):
    response = api.post(f"beneficiaries/{beneficiary.pk}/ceps", open_body())
    assert response.status_code == 201, response.content
    return response.json()["id"]


def unchanged(cep_id):
    """Snapshot of the CEP row and its audit entries, to assert that a refusal wrote nothing."""
    cep = Cep.objects.filter(pk=cep_id).values().get()
    return cep, AuditEntry.objects.filter(object_type="cep", object_id=cep_id).count()


def test_open_read_and_list(api, beneficiary, cep_id):
    body = api.get(f"ceps/{cep_id}").json()
    assert body["status"] == "phase2" and body["phase2_entry_date"] == str(entry())
    assert body["orientation_source"] == "ma_structure_entree_directe" and body["prescriber_name"] == "France Travail"
    assert body["allowed_actions"] == ["move_to_phase3", "modify", "close", "delete"]
    listed = api.get(f"beneficiaries/{beneficiary.pk}/ceps").json()
    assert [c["id"] for c in listed["items"]] == [cep_id] and listed["next_cursor"] is None


def test_open_on_incomplete_dossier_is_refused_r1(api, structure, counselor):
    incomplete = BeneficiaryFactory(structure=structure, status="incomplete", justified_at=None)
    response = api.post(f"beneficiaries/{incomplete.pk}/ceps", open_body())
    assert response.status_code == 409
    assert response.json() == with_errors(
        {
            "code": "R1",
            "message": "Le dossier doit être au statut « Justifié » avant l'ajout d'un CEP.",
            "field": "status",
            "details": None,
            "doc": "/docs/regles-cep#r1",
        }
    )
    assert not Cep.objects.exists()


def test_second_open_cep_is_refused_r2_naming_the_cep_in_progress(api, beneficiary, cep_id):
    response = api.post(f"beneficiaries/{beneficiary.pk}/ceps", open_body())
    assert response.status_code == 409 and response.json()["code"] == "R2"
    assert response.json()["details"] == {"cep_id": cep_id} and response.json()["doc"] == "/docs/regles-cep#r2"
    assert Cep.objects.count() == 1


def test_reopen_while_another_cep_is_in_progress_r2_names_it(api, beneficiary, cep_id):
    api.post(f"ceps/{cep_id}/close", {"end_date": str(today()), "exit_reason": "interruption_formalisee"})
    second = api.post(f"beneficiaries/{beneficiary.pk}/ceps", {**open_body(), "entry_date": str(today())}).json()["id"]
    response = api.post(f"ceps/{cep_id}/reopen")
    assert response.status_code == 409 and response.json()["code"] == "R2"
    assert response.json()["details"] == {"cep_id": second}


def test_r2_successive_cep_starting_the_day_the_previous_one_closed_is_accepted(api, beneficiary, cep_id):
    end = today() - datetime.timedelta(days=10)
    api.post(f"ceps/{cep_id}/close", {"end_date": str(end), "exit_reason": "interruption_formalisee"})
    second = {**open_body(), "entry_date": str(end), "initial_interview_date": str(end)}
    assert api.post(f"beneficiaries/{beneficiary.pk}/ceps", second).status_code == 201


def test_r2_successive_cep_starting_before_the_previous_one_closed_is_refused(api, beneficiary, cep_id):
    end = today() - datetime.timedelta(days=10)
    api.post(f"ceps/{cep_id}/close", {"end_date": str(end), "exit_reason": "interruption_formalisee"})
    day = end - datetime.timedelta(days=1)
    response = api.post(
        f"beneficiaries/{beneficiary.pk}/ceps",
        {**open_body(), "entry_date": str(day), "initial_interview_date": str(day)},
    )
    assert response.status_code == 409 and response.json()["code"] == "R2"
    assert response.json()["message"] == (
        f"Le CEP précédent de cette personne dans la structure s'est terminé le {end.strftime('%d/%m/%Y')} : le "
        "nouveau commence au plus tôt ce jour-là."
    )
    assert response.json()["field"] == "entry_date" and response.json()["details"] == {"cep_id": cep_id}
    assert Cep.objects.count() == 1


def test_ineligible_person_is_refused_naming_the_field_eligibilite(api, structure, counselor):
    too_old = BeneficiaryFactory(structure=structure, birth_date=today().replace(year=today().year - 40))
    response = api.post(f"beneficiaries/{too_old.pk}/ceps", open_body())
    assert response.status_code == 409 and response.json()["code"] == "ELIGIBILITE"
    assert response.json()["field"] == "birth_date" and "ans" in response.json()["message"]
    assert not Cep.objects.exists()


def test_eligible_person_is_accepted_eligibilite(api, beneficiary):
    assert api.post(f"beneficiaries/{beneficiary.pk}/ceps", open_body()).status_code == 201


def test_type_errors_say_what_was_expected(api, beneficiary):
    response = api.post(f"beneficiaries/{beneficiary.pk}/ceps", {**open_body(), "entry_date": 5})
    assert response.status_code == 422 and response.json()["field"] == "entry_date"
    assert "Date attendue (texte au format AAAA-MM-JJ)" in response.json()["message"]
    assert "heure" not in response.json()["message"]


def test_an_empty_body_names_the_required_fields(api, beneficiary):
    expected = "Champs obligatoires manquants : orientation_source, entry_date, entry_phase, request_reason."
    for body in ({}, None):
        if body is None:  # no body at all
            url = f"/api/v1/beneficiaries/{beneficiary.pk}/ceps"
            response = api.client.post(url, data=b"", content_type="application/json", **api.headers)
        else:
            response = api.post(f"beneficiaries/{beneficiary.pk}/ceps", body)
        assert response.status_code == 422 and response.json()["message"] == expected, response.json()
        assert [e["field"] for e in response.json()["errors"]] == [
            "orientation_source",
            "entry_date",
            "entry_phase",
            "request_reason",
        ]


def test_a_deleted_cep_is_404_on_the_api_as_on_the_web_r11(api, client, counselor, beneficiary, cep_id):
    assert api.get(f"ceps/{cep_id}").status_code == 200
    assert api.delete(f"ceps/{cep_id}?confirm=true").status_code == 200
    for response in (
        api.get(f"ceps/{cep_id}"),
        api.get(f"ceps/{cep_id}/history"),
        api.patch(f"ceps/{cep_id}", {"referent_name": "X"}),
        api.delete(f"ceps/{cep_id}?confirm=true"),
        api.post(f"ceps/{cep_id}/close", {"end_date": str(today()), "exit_reason": "interruption_formalisee"}),
    ):
        assert response.status_code == 404 and response.json()["code"] == "INTROUVABLE"
    assert Cep.objects.get(pk=cep_id).status == "deleted"  # kept in the database (and its audit)


def test_open_before_first_reception_is_refused_r4(api, beneficiary):
    too_early = str(beneficiary.first_reception_date - datetime.timedelta(days=1))
    response = api.post(
        f"beneficiaries/{beneficiary.pk}/ceps",
        {**open_body(), "entry_date": too_early, "initial_interview_date": None},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "R4" and response.json()["field"] == "entry_date"


def test_open_with_unknown_code_is_422(api, beneficiary):
    response = api.post(f"beneficiaries/{beneficiary.pk}/ceps", {**open_body(), "request_reason": "inconnu"})
    assert response.status_code == 422 and response.json()["field"] == "request_reason"
    assert not Cep.objects.exists()


def test_phase3_then_cancel(api, cep_id):
    on = entry() + datetime.timedelta(days=10)
    response = api.post(f"ceps/{cep_id}/phase3", {"on": str(on)})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "phase3"
    assert response.json()["phase2_end_date"] == str(on - datetime.timedelta(days=1))
    response = api.post(f"ceps/{cep_id}/cancel-phase3")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "phase2" and body["phase3_entry_date"] is None and body["phase2_end_date"] is None


def test_phase3_on_entry_day_is_refused_r5_and_nothing_changes(api, cep_id):
    before = unchanged(cep_id)
    response = api.post(f"ceps/{cep_id}/phase3", {"on": str(entry())})
    assert response.status_code == 409
    expected_day = (entry() + datetime.timedelta(days=1)).strftime("%d/%m/%Y")
    assert response.json() == with_errors(
        {
            "code": "R5",
            "message": "La date d'entrée en phase 3 doit être au plus tôt le lendemain de l'entrée en phase 2 "
            f"({expected_day}).",
            "field": "on",
            "details": None,
            "doc": "/docs/regles-cep#r5",
        }
    )
    assert unchanged(cep_id) == before


def test_cancel_phase3_in_phase2_is_refused_r6(api, cep_id):
    before = unchanged(cep_id)
    response = api.post(f"ceps/{cep_id}/cancel-phase3")
    assert response.status_code == 409 and response.json()["code"] == "R6"
    assert "Annuler le passage en phase 3" in response.json()["message"]
    assert unchanged(cep_id) == before


def test_modify_allowed_fields(api, cep_id):
    response = api.patch(f"ceps/{cep_id}", {"request_reason": "reconversion", "project_type": "reconversion"})
    assert response.status_code == 200
    assert response.json()["request_reason"] == "reconversion" and response.json()["project_type"] == "reconversion"


def test_modify_entry_date_is_refused_r7(api, cep_id):
    before = unchanged(cep_id)
    response = api.patch(f"ceps/{cep_id}", {"entry_date": str(today()), "prescriber_name": "Autre"})
    assert response.status_code == 409
    assert response.json()["code"] == "R7" and "la date d'entrée" in response.json()["message"]
    assert response.json()["field"] == "entry_date"
    assert unchanged(cep_id) == before


def test_modify_aiguilleur_after_level1_without_level1_service_is_refused(api, cep_id):
    before = unchanged(cep_id)
    response = api.patch(f"ceps/{cep_id}", {"orientation_source": "ma_structure_suite_niveau1"})
    assert response.status_code == 409
    assert response.json()["code"] == "AIGUILLEUR" and response.json()["field"] == "orientation_source"
    assert unchanged(cep_id) == before


def test_modify_unknown_field_is_422(api, cep_id):
    response = api.patch(f"ceps/{cep_id}", {"status": "closed"})
    assert response.status_code == 422 and response.json()["field"] == "status"


def test_close_and_reopen(api, cep_id):
    response = api.post(
        f"ceps/{cep_id}/close",
        {"end_date": str(today()), "exit_reason": "plan_action_realise", "project_type": "reconversion"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "closed" and body["exit_reason"] == "plan_action_realise"
    assert body["allowed_actions"] == ["reopen"]
    response = api.post(f"ceps/{cep_id}/reopen")
    assert response.status_code == 200
    assert response.json()["status"] == "phase2" and response.json()["end_date"] is None


def test_close_plan_without_project_type_is_refused_r8(api, cep_id):
    before = unchanged(cep_id)
    response = api.post(f"ceps/{cep_id}/close", {"end_date": str(today()), "exit_reason": "plan_action_realise"})
    assert response.status_code == 409
    assert response.json() == with_errors(
        {
            "code": "R8",
            "message": "Le type de projet est obligatoire pour le motif « Plan d'action réalisé ».",
            "field": "project_type",
            "details": None,
            "doc": "/docs/regles-cep#r8",
        }
    )
    assert unchanged(cep_id) == before


def test_close_in_the_future_is_refused_r8(api, cep_id):
    tomorrow = str(today() + datetime.timedelta(days=1))
    response = api.post(f"ceps/{cep_id}/close", {"end_date": tomorrow, "exit_reason": "interruption_formalisee"})
    assert response.status_code == 409 and response.json()["field"] == "end_date"


def test_reopen_after_death_is_refused_r10(api, cep_id):
    api.post(f"ceps/{cep_id}/close", {"end_date": str(today()), "exit_reason": "deces"})
    before = unchanged(cep_id)
    response = api.post(f"ceps/{cep_id}/reopen")
    assert response.status_code == 409 and response.json()["code"] == "R10"
    assert "Décès" in response.json()["message"]
    assert unchanged(cep_id) == before


def test_phase3_in_the_future_is_phase2_today_with_its_planned_date(api, cep_id):
    start = today() + datetime.timedelta(days=15)
    body = api.post(f"ceps/{cep_id}/phase3", {"on": str(start)}).json()
    assert body["status"] == "phase3"  # the recorded move, unchanged
    assert (body["current_phase"], body["phase_label"]) == (2, "Conseil personnalisé")
    assert body["phase3_planned_on"] == str(start)
    body = api.post(f"ceps/{cep_id}/cancel-phase3").json()
    assert (body["current_phase"], body["phase3_planned_on"]) == (2, None)


def test_allowed_actions_leave_out_close_while_phase3_starts_in_the_future_r8(api, cep_id):
    start = today() + datetime.timedelta(days=15)
    body = api.post(f"ceps/{cep_id}/phase3", {"on": str(start)}).json()
    assert body["allowed_actions"] == ["cancel_phase3", "modify", "delete"]
    assert api.get(f"ceps/{cep_id}").json()["allowed_actions"] == ["cancel_phase3", "modify", "delete"]
    before = unchanged(cep_id)
    response = api.post(f"ceps/{cep_id}/close", {"end_date": str(today()), "exit_reason": "interruption_formalisee"})
    assert response.status_code == 409 and response.json()["code"] == "R8"
    assert f"annulez le passage en phase 3 ou attendez le {start.strftime('%d/%m/%Y')}" in response.json()["message"]
    assert unchanged(cep_id) == before


def test_allowed_actions_leave_out_reopen_after_death_r10(api, cep_id):
    body = api.post(f"ceps/{cep_id}/close", {"end_date": str(today()), "exit_reason": "deces"}).json()
    assert body["allowed_actions"] == []
    assert api.get(f"ceps/{cep_id}").json()["allowed_actions"] == []


def test_allowed_actions_leave_out_reopen_while_another_cep_is_in_progress_r2(api, beneficiary, cep_id):
    api.post(f"ceps/{cep_id}/close", {"end_date": str(today()), "exit_reason": "interruption_formalisee"})
    second = api.post(f"beneficiaries/{beneficiary.pk}/ceps", {**open_body(), "entry_date": str(today())}).json()["id"]
    listed = {c["id"]: c["allowed_actions"] for c in api.get(f"beneficiaries/{beneficiary.pk}/ceps").json()["items"]}
    assert listed == {second: ["move_to_phase3", "modify", "close", "delete"], cep_id: []}
    assert api.get(f"ceps/{cep_id}").json()["allowed_actions"] == []
    response = api.post(f"ceps/{cep_id}/reopen")
    assert response.status_code == 409 and response.json()["code"] == "R2"


def test_structure_without_distinct_phases_r6(api, beneficiary, structure):
    structure.distinguishes_phases = False
    structure.save()
    response = api.post(f"beneficiaries/{beneficiary.pk}/ceps", {**open_body(), "entry_phase": 3})
    assert response.status_code == 409
    assert response.json() == with_errors(
        {
            "code": "R6",
            "message": "Votre structure ne distingue pas les phases 2 et 3 du CEP. L'entrée se fait en phase 2.",
            "field": "entry_phase",
            "details": None,
            "doc": "/docs/regles-cep#r6",
        }
    )
    assert not Cep.objects.exists()
    body = api.post(f"beneficiaries/{beneficiary.pk}/ceps", open_body()).json()
    assert body["status"] == "phase2" and body["allowed_actions"] == ["modify", "close", "delete"]
    response = api.post(f"ceps/{body['id']}/phase3", {"on": str(today())})
    assert response.status_code == 409 and response.json()["code"] == "R6"


def test_delete_needs_confirmation(api, cep_id):
    before = unchanged(cep_id)
    response = api.delete(f"ceps/{cep_id}")
    assert response.status_code == 422 and response.json()["field"] == "confirm"
    assert response.json()["code"] == "CONFIRMATION" and "confirm=true" in response.json()["message"]
    assert api.delete(f"ceps/{cep_id}?confirm=false").json()["code"] == "CONFIRMATION"
    assert unchanged(cep_id) == before


def test_delete_with_confirmation(api, beneficiary, cep_id):
    response = api.delete(f"ceps/{cep_id}?confirm=true")
    assert response.status_code == 200 and response.json()["status"] == "deleted"
    assert Event.objects.filter(beneficiary=beneficiary, nature_id="suppression_dispositif").exists()
    assert api.get(f"beneficiaries/{beneficiary.pk}/ceps").json()["items"] == []


def test_history_tells_who_when_what_before_after(api, counselor, cep_id):
    api.post(f"ceps/{cep_id}/phase3", {"on": str(entry() + datetime.timedelta(days=10))})
    api.patch(f"ceps/{cep_id}", {"referent_name": "Mme Martin"})
    items = api.get(f"ceps/{cep_id}/history").json()["items"]
    assert [e["action"] for e in items] == ["open", "move_to_phase3", "modify"]
    move = items[1]
    assert move["actor_id"] == counselor.pk and move["actor"] == str(counselor) and move["at"]
    assert move["before"]["status"] == "phase2" and move["after"]["status"] == "phase3"
    assert items[2]["before"]["referent_name"] == "" and items[2]["after"]["referent_name"] == "Mme Martin"


def test_cep_list_and_history_query_counts(
    api, beneficiary, cep_id, counselor, cep_refs, django_assert_max_num_queries
):
    from cep.enrolments.services import close_cep, open_cep

    with django_assert_max_num_queries(3):
        assert len(api.get(f"beneficiaries/{beneficiary.pk}/ceps").json()["items"]) == 1
    with django_assert_max_num_queries(3):
        assert len(api.get(f"ceps/{cep_id}/history").json()["items"]) == 1
    cep = Cep.objects.get(pk=cep_id)
    for i in range(8):
        cep = close_cep(cep=cep, actor=counselor, end_date=cep.entry_date, exit_reason=cep_refs["formalised"])
        cep = open_cep(
            beneficiary=beneficiary,
            actor=counselor,
            orientation_source=cep_refs["direct"],
            entry_date=entry() + datetime.timedelta(days=i + 1),
            entry_phase=2,
            request_reason=cep_refs["reason"],
        )
        api.patch(f"ceps/{cep.pk}", {"referent_name": f"R{i}"})
    with django_assert_max_num_queries(3):
        assert len(api.get(f"beneficiaries/{beneficiary.pk}/ceps?limit=100").json()["items"]) == 9
    with django_assert_max_num_queries(3):
        assert len(api.get(f"ceps/{cep.pk}/history").json()["items"]) == 2


def test_r4_every_refusal_is_returned(api, beneficiary):
    body = {
        **open_body(),
        "orientation_source": "ma_structure_suite_niveau1",
        "initial_interview_date": str(entry() + datetime.timedelta(days=3)),
    }
    response = api.post(f"beneficiaries/{beneficiary.pk}/ceps", body)
    assert response.status_code == 409
    data = response.json()
    assert [(e["code"], e["field"]) for e in data["errors"]] == [
        ("R4", "initial_interview_date"),
        ("AIGUILLEUR", "orientation_source"),
    ]
    assert (data["code"], data["field"]) == ("R4", "initial_interview_date")  # the first, for older clients
    assert not Cep.objects.exists()
