"""An analyst takes the demo exercise from brouillon to transmis in a real browser (Debian chromium, French):
axe-core finds no serious or critical violation; screenshots for the guide (docs/screenshots/s-*.png)."""

import datetime
import os

import pytest
from django.urls import reverse

from cep.monitoring import demo, workflow
from cep.monitoring.models import Exercise, Meeting
from tests.factories import OperatorFactory
from tests.web.test_manager_browser import _check, _page, browser  # noqa: F401 (the module's browser fixture)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.django_db(transaction=True)
def test_suivi_an_analyst_takes_the_exercise_from_draft_to_sent(browser, live_server, refdata, analyst):  # noqa: F811
    for name in ("Missions locales de Corse", "Cap emploi Corse", "APEC Corse"):
        OperatorFactory(name=name)
    today = datetime.date.today()
    demo.load(analyst, today)
    exercise = Exercise.objects.get(region_id="94", year=today.year)
    page = _page(browser, live_server, analyst)
    url = live_server.url

    page.goto(url + reverse("monitoring:exercises"))
    _check(page, "s-01-suivi-regional-exercices")
    page.click(f"a:has-text('Exercice {today.year}')")
    assert "Opérateurs pas encore rencontrés : Missions locales de Corse" in page.content()
    _check(page, "s-02-suivi-regional-exercice")

    page.click("a:has-text('Enregistrer une rencontre')")
    page.select_option("#id_operator", label="Missions locales de Corse")
    page.fill("#id_held_on", today.isoformat())
    page.fill("#id_participants", "Directrice de l'association régionale ; chargée de mission Transitions Pro")
    page.click("label[for=id_themes_1]")  # the DSFR draws the box on the label
    page.fill("#id_notes", "Volet 1 : outils de liaison entre opérateurs. Volet 2 : demandes de reconversion.")
    _check(page, "s-03-suivi-regional-rencontre")
    page.click("button:has-text('Enregistrer')")
    assert "Rencontre enregistrée." in page.content()
    assert Meeting.objects.filter(exercise=exercise, operator__name="Missions locales de Corse").exists()

    page.click("a:has-text('Le rapport, section par section')")
    page.click("a:has-text('Reprendre le journal des coopérations')")
    assert "Fiche action CREFOP" in page.input_value("#id_body")
    _check(page, "s-06-suivi-regional-section")
    page.click("button:has-text('Enregistrer une nouvelle version')")
    assert "enregistrée (version 1)" in page.content()
    _check(page, "s-07-suivi-regional-rapport")
    page.click("a:has-text('Retour à l')")

    for action in ("share", "present", "transmit"):
        label = workflow.TRANSITIONS[action].label
        page.fill("#id_on", today.isoformat())
        page.click(f"button:has-text('{label}')")
        page.wait_for_load_state("load")
    exercise.refresh_from_db()
    assert exercise.state == workflow.TRANSMITTED and exercise.transmitted_on == today
    assert "Transmis à France compétences" in page.content()
    _check(page, "s-04-suivi-regional-transmis")

    # The report's documents, from the copy frozen by the transmission: the same bytes as generated here.
    from cep.monitoring import report_files

    snapshot = exercise.snapshots.order_by("-number").first()
    for fmt, render in (("pdf", report_files.pdf), ("docx", report_files.docx)):
        with page.expect_download() as download:
            page.click(f"a[href$='/versions/{snapshot.number}/rapport.{fmt}']")
        path = download.value.path()
        assert download.value.suggested_filename == report_files.filename(snapshot, fmt)
        with open(path, "rb") as handle:
            assert handle.read() == render(snapshot)

    # Partie 2 of the report, on aggregates of a generated month (tests/reporting/indicators).
    from django.core.cache import cache

    from cep.monitoring import services
    from cep.reporting.indicators.refresh import refresh
    from tests.reporting.indicators.test_indicators import M, build_data

    build_data()
    refresh(full=True)
    cache.clear()
    past = services.open_exercise(actor=analyst, year=M.year)
    page.goto(url + reverse("monitoring:data_part", args=[past.pk]))
    assert "Qui a recours au CEP ?" in page.content()
    _check(page, "s-05-suivi-regional-donnees")
