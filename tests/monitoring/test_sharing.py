"""Sharing the draft with the région's operators (issue 12 parts 7 and 8): frozen copies at each step, comments and
change requests anchored to sections, answers, lasting disagreements printed, « transmis » only with every thread
closed."""

import datetime

import pytest
from django.urls import reverse

from cep.accounts.rights import Role
from cep.common.errors import RuleViolation
from cep.monitoring import services, workflow
from cep.monitoring.models import ReportSnapshot, Thread
from tests.factories import StructureFactory, UserFactory

from .conftest import TODAY

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def operator_staff(structure):
    """A structure manager of the région (Corse): holds « Lire et commenter le projet de rapport régional »."""
    return UserFactory(username="resp_corse", role=Role.MANAGER, structure=structure)


@pytest.fixture
def shared(analyst, exercise):
    intro = exercise.sections.get(key="introduction")
    services.save_section(actor=analyst, section_id=intro.pk, body="Démarche de suivi.", expected_version=0)
    return services.advance(actor=analyst, exercise_id=exercise.pk, action="share", on=D(2023, 5, 15), today=TODAY)


def _to_presented(analyst, exercise):
    return services.advance(actor=analyst, exercise_id=exercise.pk, action="present", on=D(2023, 6, 19), today=TODAY)


def test_suivi_each_step_freezes_a_copy_with_its_checksum(analyst, shared):
    first = shared.snapshots.get()
    assert first.state == workflow.SHARED and first.sections[0]["body"] == "Démarche de suivi."
    assert len(first.sha256) == 64
    _to_presented(analyst, shared)
    assert list(shared.snapshots.values_list("number", "state")) == [(2, "presente_crefop"), (1, "partage")]


def test_suivi_resharing_needs_a_change_and_shows_it(client, analyst, shared, operator_staff):
    with pytest.raises(RuleViolation) as unchanged:
        services.reshare(actor=analyst, exercise_id=shared.pk)
    assert "Aucune section n'a changé" in unchanged.value.message
    intro = shared.sections.get(key="introduction")
    services.save_section(actor=analyst, section_id=intro.pk, body="Démarche revue.", expected_version=1)
    assert services.reshare(actor=analyst, exercise_id=shared.pk).number == 2
    client.force_login(operator_staff)
    page = client.get(reverse("monitoring:draft", args=[shared.pk])).content.decode()
    assert "Démarche revue." in page and "Modifiée" in page and "− Démarche de suivi." in page


def test_suivi_an_operator_requests_a_change_and_the_analyst_answers(analyst, shared, operator_staff):
    thread = services.open_thread(actor=operator_staff, exercise_id=shared.pk, section_key="partie2", kind="demande",
                                  body="Le taux de sortie cité n'est pas le nôtre.")  # fmt: skip
    with pytest.raises(RuleViolation) as no_reason:
        services.answer_request(actor=analyst, thread_id=thread.pk, accepted=False, answer="")
    assert no_reason.value.field == "answer"
    with pytest.raises(RuleViolation):
        services.answer_request(actor=operator_staff, thread_id=thread.pk, accepted=True, answer="")
    thread = services.answer_request(actor=analyst, thread_id=thread.pk, accepted=False, answer="Chiffre national.")
    assert thread.status == "refusee"
    services.reply(actor=operator_staff, thread_id=thread.pk, body="Nous maintenons notre lecture.")
    assert thread.replies.count() == 1


def test_suivi_transmis_requires_every_thread_closed(client, analyst, shared, operator_staff):
    first = services.open_thread(actor=operator_staff, exercise_id=shared.pk, section_key="partie1",
                                 kind="commentaire", body="Ajouter la fiche action.")  # fmt: skip
    second = services.open_thread(actor=operator_staff, exercise_id=shared.pk, section_key="partie2",
                                  kind="demande", body="Nuancer le constat sur les sorties.")  # fmt: skip
    _to_presented(analyst, shared)
    with pytest.raises(RuleViolation) as refused:
        services.advance(actor=analyst, exercise_id=shared.pk, action="transmit", on=D(2023, 7, 10), today=TODAY)
    assert "2 fil(s)" in refused.value.message
    services.close_thread(actor=operator_staff, thread_id=first.pk)
    services.close_thread(actor=analyst, thread_id=second.pk, disagreement=True)
    sent = services.advance(actor=analyst, exercise_id=shared.pk, action="transmit", on=D(2023, 7, 10), today=TODAY)
    assert sent.state == workflow.TRANSMITTED
    with pytest.raises(RuleViolation):
        services.reply(actor=operator_staff, thread_id=second.pk, body="Trop tard.")
    client.force_login(analyst)
    report = client.get(reverse("monitoring:report", args=[shared.pk])).content.decode()
    assert "Désaccords maintenus" in report and "Nuancer le constat sur les sorties." in report


def test_droits_only_the_author_or_the_analyst_closes_a_thread(analyst, shared, operator_staff, structure):
    colleague = UserFactory(username="resp_2", role=Role.MANAGER, structure=StructureFactory(name="Cap emploi 2A"))
    thread = services.open_thread(actor=operator_staff, exercise_id=shared.pk, section_key="conclusion",
                                  kind="commentaire", body="Très bien.")  # fmt: skip
    with pytest.raises(RuleViolation) as refused:
        services.close_thread(actor=colleague, thread_id=thread.pk)
    assert refused.value.rule == "DROITS"
    assert Thread.objects.get(pk=thread.pk).status == "ouvert"


def test_droits_an_operator_elsewhere_or_without_the_right_cannot_comment(shared, counselor, refdata):
    elsewhere = UserFactory(
        username="resp_idf",
        role=Role.MANAGER,
        structure=StructureFactory(name="ML Paris", department_id="75", region_id="11"),
    )
    for actor in (elsewhere, counselor):
        with pytest.raises(RuleViolation) as refused:
            services.open_thread(
                actor=actor, exercise_id=shared.pk, section_key="partie1", kind="commentaire", body="x"
            )
        assert refused.value.rule == "DROITS"
    assert not Thread.objects.exists()


def test_suivi_a_draft_is_never_shown_to_operators(client, exercise, operator_staff):
    client.force_login(operator_staff)
    assert client.get(reverse("monitoring:draft", args=[exercise.pk])).status_code == 404
    assert "Aucun projet partagé" in client.get(reverse("monitoring:shared")).content.decode()
    assert not ReportSnapshot.objects.exists()


def test_suivi_the_operator_comments_through_the_page(client, shared, operator_staff, refdata):
    client.force_login(operator_staff)
    listing = client.get(reverse("monitoring:shared")).content.decode()
    assert reverse("monitoring:draft", args=[shared.pk]) in listing
    page = client.get(reverse("monitoring:draft", args=[shared.pk])).content.decode()
    assert "Démarche de suivi." in page and "Commenter « Introduction »" in page
    response = client.post(
        reverse("monitoring:thread_new", args=[shared.pk]),
        {"section_key": "introduction", "kind": "demande", "body": "Préciser la méthode."},
    )
    assert response.status_code == 302
    thread = Thread.objects.get()
    assert thread.kind == "demande" and thread.structure_id == operator_staff.structure_id
    bad = client.post(reverse("monitoring:thread_new", args=[shared.pk]), {"section_key": "nope", "kind": "x"})
    assert bad.status_code == 302 and Thread.objects.count() == 1
    elsewhere = UserFactory(
        username="resp_idf2",
        role=Role.MANAGER,
        structure=StructureFactory(name="ML Créteil", department_id="94", region_id="11"),
    )
    client.force_login(elsewhere)
    assert client.get(reverse("monitoring:draft", args=[shared.pk])).status_code == 404
