import datetime

import pytest

from cep.accounts.rights import Role
from cep.monitoring import services
from tests.factories import OperatorFactory, UserFactory

TODAY = datetime.date(2026, 12, 7)


@pytest.fixture
def analyst(refdata):
    """The Transitions Pro of Corse (94), where the factories put their structures and operators. Named here (the
    report's PDF prints it, the guide shows it), with a name Faker never draws for the generated beneficiaries."""
    return UserFactory(
        username="tp_corse",
        first_name="Paule",
        last_name="Santoni",
        role=Role.REGIONAL_OBSERVER,
        structure=None,
        region_id="94",
    )


@pytest.fixture
def other_analyst(refdata):
    return UserFactory(username="tp_idf", role=Role.REGIONAL_OBSERVER, structure=None, region_id="11")


@pytest.fixture
def national(refdata):
    return UserFactory(username="fc", role=Role.NATIONAL_OBSERVER, structure=None)


@pytest.fixture
def operators(refdata):
    return [OperatorFactory(name="Missions locales de Corse"), OperatorFactory(name="Cap emploi Corse")]


@pytest.fixture
def operator_staff(structure):
    """The manager of an operator's structure in the région: reads and comments the shared draft."""
    return UserFactory(username="resp_corse", first_name="Inès", last_name="Vidal", role=Role.MANAGER,
                       structure=structure)  # fmt: skip


def written_commented_sent(analyst, operator_staff, exercise, today):
    """The exercise written, shared, commented by an operator (a request refused and closed as a lasting
    disagreement, a comment answered and resolved), presented and sent: the report of test_report_files and of the
    guide's PDF pages (test_monitoring_browser)."""
    for key, body in (("introduction", "Démarche de suivi.\n\nSeconde ligne."), ("partie2", "Analyse régionale.")):
        section = exercise.sections.get(key=key)
        services.save_section(actor=analyst, section_id=section.pk, body=body, expected_version=section.version)
    on = datetime.date(exercise.year + 1, 5, 15)
    services.advance(actor=analyst, exercise_id=exercise.pk, action="share", on=on, today=today)
    request = services.open_thread(actor=operator_staff, exercise_id=exercise.pk, section_key="partie2",
                                   kind="demande", body="Ajoutez les départements.")  # fmt: skip
    services.answer_request(actor=analyst, thread_id=request.pk, accepted=False, answer="Hors du socle.")
    services.close_thread(actor=analyst, thread_id=request.pk, disagreement=True)
    comment = services.open_thread(actor=operator_staff, exercise_id=exercise.pk, section_key="introduction",
                                   kind="commentaire", body="Merci pour ce projet.")  # fmt: skip
    services.reply(actor=analyst, thread_id=comment.pk, body="Avec plaisir.")
    services.close_thread(actor=operator_staff, thread_id=comment.pk)
    services.advance(actor=analyst, exercise_id=exercise.pk, action="present", on=on, today=today)
    services.advance(actor=analyst, exercise_id=exercise.pk, action="transmit", on=on, today=today)
    return exercise


@pytest.fixture
def exercise(analyst):
    return services.open_exercise(actor=analyst, year=2022)
