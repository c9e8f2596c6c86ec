"""An analyst takes the demo exercise from brouillon to transmis in a real browser (Debian chromium, French):
axe-core finds no serious or critical violation; screenshots for the guide (docs/screenshots/s-*.png), among them
two pages of a downloaded report PDF drawn by pdftoppm (Debian: poppler-utils; `make screenshots` installs it)."""

import io
import os
import shutil
import subprocess
import tempfile

import pypdf
import pytest
from django.urls import reverse

from cep.monitoring import demo, workflow
from cep.monitoring.models import Exercise, Meeting
from tests.factories import OperatorFactory
from tests.web.test_manager_browser import SCREENSHOTS, _check, _page, browser  # noqa: F401 (the browser fixture)

from .conftest import written_commented_sent

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def _pdf_page_image(content: bytes, number: int, name: str):
    """Page `number` (from 1) of the PDF as docs/screenshots/<name>.png, at 80 dpi, as in the guides."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm est introuvable : installez poppler-utils (apt-get install poppler-utils)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        pages = ["-f", str(number), "-l", str(number), "-singlefile"]
        subprocess.run(["pdftoppm", "-png", "-r", "80", *pages, handle.name, str(SCREENSHOTS / name)], check=True)


@pytest.mark.django_db(transaction=True)
def test_suivi_an_analyst_takes_the_exercise_from_draft_to_sent(
    browser,  # noqa: F811
    live_server,
    refdata,
    analyst,
    request,
    today,
):
    for name in ("Missions locales de Corse", "Cap emploi Corse", "APEC Corse"):
        OperatorFactory(name=name)
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

    # That year's report commented by an operator (a lasting disagreement) and sent, its PDF downloaded from the
    # exercise page: its first page and the page of the disagreements for the guide. The operator's staff (and its
    # structure) come only now, so that the demo above meets the same operators as in the demo.
    written_commented_sent(analyst, request.getfixturevalue("operator_staff"), past, today)
    snapshot = past.snapshots.order_by("-number").first()
    page.goto(url + reverse("monitoring:exercise", args=[past.pk]))
    with page.expect_download() as download:
        page.click(f"a[href$='/versions/{snapshot.number}/rapport.pdf']")
    with open(download.value.path(), "rb") as handle:
        content = handle.read()
    assert content == report_files.pdf(snapshot)
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages]
    assert "Rapport annuel de suivi du CEP" in pages[0] and "Qui a recours au CEP ?" in pages[0]
    disagreements = next(i for i, words in enumerate(pages, 1) if "Désaccords maintenus avec les opérateurs" in words)
    assert "Ajoutez les départements." in pages[disagreements - 1]
    _pdf_page_image(content, 1, "s-08-suivi-regional-rapport-pdf")
    _pdf_page_image(content, disagreements, "s-09-suivi-regional-rapport-pdf-desaccords")
