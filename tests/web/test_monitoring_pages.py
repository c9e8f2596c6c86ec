"""Regional monitoring pages (issue 12): the Transitions Pro's exercise, France compétences' national view.

Another région's exercise is a 404; no page shows a beneficiary; the pages' queries are pinned."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cep.accounts.rights import Role
from cep.monitoring import services, workflow
from cep.monitoring.models import Exercise, Meeting
from tests.factories import BeneficiaryFactory, OperatorFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def analyst(refdata):
    return UserFactory(username="tp_corse", role=Role.REGIONAL_OBSERVER, structure=None, region_id="94")


@pytest.fixture
def exercise(analyst):
    return services.open_exercise(actor=analyst, year=2022)


@pytest.fixture
def operator(refdata):
    return OperatorFactory(name="Missions locales de Corse")


def test_suivi_the_analyst_opens_an_exercise_from_the_list(client, analyst):
    client.force_login(analyst)
    page = client.get(reverse("monitoring:exercises"))
    assert page.status_code == 200 and "Ouvrir un exercice" in page.content.decode()
    response = client.post(reverse("monitoring:exercises"), {"year": "2024"})
    created = Exercise.objects.get(region_id="94", year=2024)
    assert response.status_code == 302 and response.url == reverse("monitoring:exercise", args=[created.pk])


@pytest.mark.parametrize("year", ["²", "0", "10000", "2024.5", "\x00"])
def test_saisie_a_bad_year_is_a_french_error_not_a_500(client, analyst, year):
    client.force_login(analyst)
    response = client.post(reverse("monitoring:exercises"), {"year": year})
    assert response.status_code == 200
    assert "fr-error-text" in response.content.decode()
    assert not Exercise.objects.exists()


def test_suivi_the_exercise_page_flags_what_is_left_to_do(client, analyst, exercise, operator):
    client.force_login(analyst)
    page = client.get(reverse("monitoring:exercise", args=[exercise.pk])).content.decode()
    assert "Opérateurs pas encore rencontrés : Missions locales de Corse" in page
    assert "Aucune réunion annuelle au CREFOP enregistrée pour 2022" in page
    assert "Échéance dépassée" in page
    assert "Partager le projet aux opérateurs" in page


def test_suivi_a_meeting_recorded_through_the_form(client, analyst, exercise, operator):
    client.force_login(analyst)
    url = reverse("monitoring:meeting_add", args=[exercise.pk])
    assert client.get(url).status_code == 200
    data = {"operator": operator.pk, "held_on": "03/05/2022", "participants": "Directrice", "themes": ["aiguillage"]}
    response = client.post(url, data)
    assert response.status_code == 302
    assert Meeting.objects.get().operator == operator
    page = client.get(reverse("monitoring:exercise", args=[exercise.pk])).content.decode()
    assert "rencontré (1)" in page and "Opérateurs pas encore rencontrés" not in page


def test_suivi_a_meeting_in_the_future_is_refused_on_its_field(client, analyst, exercise, operator):
    client.force_login(analyst)
    url = reverse("monitoring:meeting_add", args=[exercise.pk])
    response = client.post(url, {"operator": operator.pk, "held_on": "01/01/2099", "participants": "x"})
    assert response.status_code == 200
    assert "ne peut pas être dans le futur" in response.content.decode()
    assert not Meeting.objects.exists()


def test_suivi_the_workflow_through_the_pages(client, analyst, exercise):
    client.force_login(analyst)
    step = lambda action, on: client.post(reverse("monitoring:step", args=[exercise.pk, action]), {"on": on})  # noqa: E731
    refused = step("transmit", "10/07/2023")
    assert refused.status_code == 302
    exercise.refresh_from_db()
    assert exercise.state == workflow.DRAFT
    messages = client.get(refused.url).content.decode()
    assert "présenté au CREFOP avant d&#x27;être transmis" in messages or "présenté au CREFOP avant d'être" in messages
    for action, on in (("share", "15/05/2023"), ("present", "19/06/2023"), ("transmit", "10/07/2023")):
        assert step(action, on).status_code == 302
    exercise.refresh_from_db()
    assert exercise.state == workflow.TRANSMITTED and exercise.transmitted_on == D(2023, 7, 10)
    assert step("share", "aa").status_code == 400


def test_suivi_another_regions_exercise_is_404(client, exercise, operator):
    other = UserFactory(username="tp_idf", role=Role.REGIONAL_OBSERVER, structure=None, region_id="11")
    client.force_login(other)
    assert client.get(reverse("monitoring:exercise", args=[exercise.pk])).status_code == 404
    assert client.get(reverse("monitoring:meeting_add", args=[exercise.pk])).status_code == 404
    response = client.post(reverse("monitoring:step", args=[exercise.pk, "share"]), {"on": "15/05/2023"})
    assert response.status_code == 404
    milestone = exercise.milestones.first()
    assert client.post(reverse("monitoring:milestone", args=[milestone.pk]), {}).status_code == 404
    assert Exercise.objects.get(pk=exercise.pk).state == workflow.DRAFT


def test_suivi_france_competences_reads_every_region_and_writes_nothing(client, exercise):
    national = UserFactory(username="fc", role=Role.NATIONAL_OBSERVER, structure=None)
    client.force_login(national)
    overview = client.get(reverse("monitoring:national")).content.decode()
    assert "Corse" in overview and "En retard" in overview and "Régions sans exercice" in overview
    page = client.get(reverse("monitoring:exercise", args=[exercise.pk])).content.decode()
    assert "Enregistrer une rencontre" not in page and "Partager le projet" not in page
    response = client.post(reverse("monitoring:step", args=[exercise.pk, "share"]), {"on": "15/05/2023"})
    assert response.status_code == 403


def test_suivi_no_page_of_the_module_shows_a_person(client, analyst, exercise, operator, structure):
    BeneficiaryFactory(structure=structure, last_name="Personnenommeeainsi", first_name="Prenomrare")
    client.force_login(analyst)
    urls = [
        reverse("monitoring:exercises"),
        reverse("monitoring:exercise", args=[exercise.pk]),
        reverse("monitoring:meeting_add", args=[exercise.pk]),
        reverse("monitoring:cooperation_add", args=[exercise.pk]),
    ]
    for url in urls:
        page = client.get(url).content.decode()
        assert "Personnenommeeainsi" not in page and "Prenomrare" not in page, url


def test_the_exercise_page_queries_do_not_grow_with_its_rows(client, analyst, exercise, operator):
    def add(i):
        services.record_meeting(
            actor=analyst,
            exercise_id=exercise.pk,
            operator_id=OperatorFactory(name=f"Opérateur {i}").pk,
            held_on=D(2022, 5, 3),
            participants="x",
            themes=["aiguillage"],
        )
        services.record_cooperation(
            actor=analyst,
            exercise_id=exercise.pk,
            kind="action",
            title=f"Action {i}",
            actors="x",
            themes=["aiguillage"],
        )

    client.force_login(analyst)
    url = reverse("monitoring:exercise", args=[exercise.pk])
    add(0)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(1, 4):
        add(i)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few) <= 16, [q["sql"][:120] for q in many.captured_queries]


def test_the_report_and_the_shared_draft_queries_do_not_grow_with_threads(client, analyst, exercise, structure):
    """The report (sections, disagreements) and the shared draft (copies, threads, replies): pinned, flat."""
    from cep.monitoring.models import Thread

    operator_staff = UserFactory(username="resp_corse", role=Role.MANAGER, structure=structure)
    services.advance(actor=analyst, exercise_id=exercise.pk, action="share", on=D(2023, 5, 15), today=D(2026, 12, 7))

    def add_thread(key):
        thread = services.open_thread(
            actor=operator_staff, exercise_id=exercise.pk, section_key=key, kind="demande", body="À préciser."
        )
        services.reply(actor=analyst, thread_id=thread.pk, body="D'accord.")
        services.close_thread(actor=analyst, thread_id=thread.pk, disagreement=True)

    client.force_login(analyst)
    pages = [reverse("monitoring:report", args=[exercise.pk]), reverse("monitoring:draft", args=[exercise.pk])]
    add_thread("introduction")
    counts = {}
    for url in pages:
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        counts[url] = len(few)
    for key in ("partie1", "partie2", "conclusion"):
        add_thread(key)
    assert Thread.objects.count() == 4
    for url in pages:
        with CaptureQueriesContext(connection) as many:
            assert client.get(url).status_code == 200
        assert len(many) == counts[url] <= 14, (url, [q["sql"][:100] for q in many.captured_queries])


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# Pinned SQL queries, each flat as the rows grow; 2 of them every signed-in page makes here (session, user).
BUDGETS = {
    "exercises": 4,  # the exercises with their counts and last frozen copy (one query), the user's région
    "national": 5,  # the same rows, the régions without an exercise of last year
    "data_part": 7,  # the exercise, the refresh state (the dashboard itself is cached), départements and their counts
    "section_history": 5,  # the section with its exercise, the versions with their authors
    "report_pdf": 6,  # the exercise (shared or visible), whether it has a copy, the copy; nothing read live
}


def test_the_list_national_data_and_history_pages_queries_are_pinned(client, analyst, exercise, refdata):
    from cep.organisations.models import Region

    national = UserFactory(username="fc", role=Role.NATIONAL_OBSERVER, structure=None)
    intro = exercise.sections.get(key="introduction")
    regions = [r.code for r in Region.objects.exclude(code="94").order_by("code")[:4]]

    def grow(i):
        services.open_exercise(actor=analyst, year=2023 + i)
        other = UserFactory(username=f"tp_{i}", role=Role.REGIONAL_OBSERVER, structure=None, region_id=regions[i])
        opened = services.open_exercise(actor=other, year=2022)
        services.advance(actor=other, exercise_id=opened.pk, action="share", on=D(2023, 5, 15), today=D(2026, 12, 7))
        services.save_section(actor=analyst, section_id=intro.pk, body=f"Version {i}.", expected_version=i)
        services.reshare(actor=analyst, exercise_id=exercise.pk)

    pages = {
        "exercises": (analyst, reverse("monitoring:exercises")),
        "national": (national, reverse("monitoring:national")),
        "data_part": (analyst, reverse("monitoring:data_part", args=[exercise.pk])),
        "section_history": (analyst, reverse("monitoring:section_history", args=[intro.pk])),
    }
    services.advance(actor=analyst, exercise_id=exercise.pk, action="share", on=D(2023, 5, 15), today=D(2026, 12, 7))
    pages["report_pdf"] = (national, reverse("monitoring:report_pdf", args=[exercise.pk, 1]))
    grow(0)
    few = {}
    for name, (user, url) in pages.items():
        client.force_login(user)
        client.get(url)  # the dashboard's cache, the session
        few[name] = _count(client, url)
    for i in range(1, 4):
        grow(i)
    many = {}
    for name, (user, url) in pages.items():
        client.force_login(user)
        client.get(url)
        many[name] = _count(client, url)
    assert many == few, (many, few)
    assert many == BUDGETS, many
