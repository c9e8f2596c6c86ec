"""The report editor on the socle plan (issue 12 part 6): every save is a version, two versions compared."""

import datetime

import pytest
from django.urls import reverse

from cep.accounts.rights import Role
from cep.common.errors import RuleViolation
from cep.monitoring import services
from cep.monitoring.models import REPORT_PLAN, SectionVersion
from tests.factories import UserFactory

from .conftest import TODAY

pytestmark = pytest.mark.django_db
D = datetime.date


def _section(exercise, key):
    return exercise.sections.get(key=key)


def test_suivi_the_report_follows_the_socle_plan(exercise):
    assert [s.key for s in exercise.sections.all()] == [key for key, _, _ in REPORT_PLAN]
    assert [s.title for s in exercise.sections.all()][:3] == [
        "Introduction",
        "Partie 1 : Les coopérations autour du CEP",
        "Partie 2 : Le CEP et les parcours des bénéficiaires en région",
    ]


def test_suivi_every_save_is_a_version_and_an_unchanged_save_is_not(analyst, exercise):
    intro = _section(exercise, "introduction")
    intro = services.save_section(actor=analyst, section_id=intro.pk, body="Première rédaction.", expected_version=0)
    intro = services.save_section(actor=analyst, section_id=intro.pk, body="Seconde rédaction.", expected_version=1)
    intro = services.save_section(actor=analyst, section_id=intro.pk, body="Seconde rédaction. ", expected_version=2)
    assert intro.version == 2
    assert list(intro.versions.values_list("number", "body")) == [
        (2, "Seconde rédaction."),
        (1, "Première rédaction."),
    ]


def test_suivi_a_save_over_someone_elses_is_refused_and_nothing_is_lost(analyst, exercise):
    colleague = UserFactory(username="tp_2", first_name="Léa", last_name="Roux", role=Role.REGIONAL_OBSERVER,
                            structure=None, region_id="94")  # fmt: skip
    intro = _section(exercise, "introduction")
    services.save_section(actor=colleague, section_id=intro.pk, body="Texte de Léa.", expected_version=0)
    with pytest.raises(RuleViolation) as refused:
        services.save_section(actor=analyst, section_id=intro.pk, body="Mon texte.", expected_version=0)
    assert "Léa Roux" in refused.value.message and refused.value.field == "body"
    intro.refresh_from_db()
    assert intro.body == "Texte de Léa." and intro.version == 1 and SectionVersion.objects.count() == 1


def test_suivi_a_sent_report_is_no_longer_edited(analyst, exercise):
    for action, on in (("share", D(2023, 5, 15)), ("present", D(2023, 6, 19)), ("transmit", D(2023, 7, 10))):
        services.advance(actor=analyst, exercise_id=exercise.pk, action=action, on=on, today=TODAY)
    with pytest.raises(RuleViolation) as refused:
        services.save_section(
            actor=analyst, section_id=_section(exercise, "conclusion").pk, body="Trop tard.", expected_version=0
        )
    assert "transmis" in refused.value.message
    assert not SectionVersion.objects.exists()


def test_suivi_partie_1_is_written_from_the_cooperation_log(analyst, exercise, operators):
    services.record_meeting(actor=analyst, exercise_id=exercise.pk, operator_id=operators[0].pk,
                            held_on=D(2022, 5, 3), participants="x", themes=["aiguillage"], today=TODAY)  # fmt: skip
    services.record_cooperation(actor=analyst, exercise_id=exercise.pk, kind="action", title="Outil de liaison",
                                actors="ML, France Travail", levers="Référents identifiés", today=TODAY)  # fmt: skip
    text = services.cooperation_summary(exercise)
    assert "03/05/2022, Missions locales de Corse (aiguillage)." in text
    assert "Action partagée : Outil de liaison (réalisée). Acteurs : ML, France Travail." in text
    assert "Leviers : Référents identifiés" in text


def test_suivi_edit_prefill_and_compare_through_the_pages(client, analyst, exercise, operators):
    services.record_cooperation(actor=analyst, exercise_id=exercise.pk, kind="action", title="Outil de liaison",
                                actors="ML", today=TODAY)  # fmt: skip
    client.force_login(analyst)
    part1 = _section(exercise, "partie1")
    url = reverse("monitoring:section_edit", args=[part1.pk])
    prefilled = client.get(url + "?preremplir=journal").content.decode()
    assert "Outil de liaison" in prefilled
    assert client.post(url, {"body": "Ligne A\nLigne B", "version": "0"}).status_code == 302
    assert client.post(url, {"body": "Ligne A\nLigne C", "version": "1"}).status_code == 302
    stale = client.post(url, {"body": "Autre", "version": "1"})
    assert stale.status_code == 200 and "entre-temps" in stale.content.decode()
    history = client.get(reverse("monitoring:section_history", args=[part1.pk]) + "?a=1&b=2").content.decode()
    assert "Retrait : </span>− Ligne B" in history and "Ajout : </span>+ Ligne C" in history
    report = client.get(reverse("monitoring:report", args=[exercise.pk])).content.decode()
    assert "Ligne C" in report and "version 2" in report
    for bad, status in (("?a=²&b=٣", 200), ("?a=99999999999&b=x", 200), ("?a=\x00", 400)):
        assert client.get(reverse("monitoring:section_history", args=[part1.pk]) + bad).status_code == status


def test_suivi_another_regions_section_is_404(client, exercise, other_analyst):
    client.force_login(other_analyst)
    section = _section(exercise, "introduction")
    assert client.get(reverse("monitoring:section_edit", args=[section.pk])).status_code == 404
    assert (
        client.post(reverse("monitoring:section_edit", args=[section.pk]), {"body": "x", "version": "0"}).status_code
        == 404
    )
    assert client.get(reverse("monitoring:report", args=[exercise.pk])).status_code == 404
