"""The report's PDF and DOCX (issue 12 part 8): generated from the frozen copy alone (sections, comment threads,
lasting disagreements, data part, SHA-256), tagged PDF/UA-1, charts with alternative text in both, the same bytes
at each download, later edits ignored; downloaded by the région's analyst, its operators and France compétences
only."""

import datetime
import io
import zipfile

import docx
import pytest
from django.core.cache import cache
from django.urls import reverse

from cep.accounts.rights import Role
from cep.monitoring import report_files, services
from cep.reporting.indicators.refresh import refresh
from tests.factories import StructureFactory, UserFactory
from tests.plans.pdfcheck import problems, text
from tests.reporting.indicators.test_indicators import M, build_data

from .conftest import TODAY, written_commented_sent

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def transmitted(analyst, operator_staff, refdata):
    """The exercise of the aggregates' year, written, shared, commented (one lasting disagreement), sent."""
    cache.clear()
    build_data()
    refresh(full=True)
    exercise = services.open_exercise(actor=analyst, year=M.year)
    return written_commented_sent(analyst, operator_staff, exercise, TODAY)


def _last(exercise):
    return exercise.snapshots.order_by("-number").first()


def test_suivi_the_pdf_is_pdf_ua_with_sections_threads_disagreements_data_and_hash(transmitted):
    snapshot = _last(transmitted)
    content = report_files.pdf(snapshot)
    assert problems(content) == []
    words = text(content)
    for part in (
        "Rapport annuel de suivi du CEP",
        "Introduction",
        "Démarche de suivi.",
        "Partie 1 : Les coopérations autour du CEP",
        "Analyse régionale.",
        "Qui a recours au CEP ?",
        "Entrées par département de la structure qui accompagne",
        "France entière",
        "Désaccords maintenus avec les opérateurs",
        "Ajoutez les départements.",
        "Hors du socle.",
        "Merci pour ce projet.",
        "Avec plaisir.",
        "Transmis à France compétences",
    ):
        assert part in words, part
    assert snapshot.sha256 in words.replace("\n", "")


def test_suivi_the_charts_have_alt_text_from_their_figures_and_respect_the_small_cell_rule(transmitted):
    snapshot = _last(transmitted)
    tables = [t for s in snapshot.data["sections"] for t in s["tables"]]
    charts = [t for t in tables if t["chart"]]
    assert charts, "the category tables are charted"
    for table in charts:
        chart = table["chart"]
        body = [r for r in table["rows"] if not r["total"]]
        assert [b["label"] for b in chart["bars"]] == [r["label"] for r in body]
        assert chart["alt"].startswith("Graphique en barres horizontales.")
        for bar, row in zip(chart["bars"], body, strict=True):
            assert bar["label"] in chart["alt"]
            last = len(table["columns"])
            for k, share in enumerate(bar["shares"]):
                shown = row["cells"][(k + 1) * last - 1]
                if chart["no_total"][k]:  # the scope's total is hidden or nil: no share at all
                    assert table["rows"][-1]["cells"][(k + 1) * last - 1] in ("< 3", "s", "0")
                    assert f"{chart['scopes'][k]} : total non publié" in chart["alt"]
                elif share is None:  # a hidden figure has no bar and no share
                    assert shown in ("< 3", "s"), (table["key"], shown)
                else:
                    assert shown.replace("\u202f", "").replace(" ", "").isdigit()
    hidden = [b for t in charts for b in t["chart"]["bars"] if None in b["shares"]]
    for bar in hidden:
        assert "secret statistique" in next(t["chart"]["alt"] for t in charts if bar in t["chart"]["bars"])


def test_suivi_the_docx_opens_and_its_images_carry_alt_text(transmitted):
    snapshot = _last(transmitted)
    document = docx.Document(io.BytesIO(report_files.docx(snapshot)))
    words = "\n".join(p.text for p in document.paragraphs)
    for part in ("Démarche de suivi.", "Désaccords maintenus avec les opérateurs", "Ajoutez les départements.",
                 snapshot.sha256, "Merci pour ce projet."):  # fmt: skip
        assert part in words, part
    assert document.core_properties.language == "fr-FR"
    shapes = list(document.inline_shapes)
    charts = [t for s in snapshot.data["sections"] for t in s["tables"] if t["chart"]]
    assert len(shapes) == len(charts) > 0
    for shape, table in zip(shapes, charts, strict=True):
        assert shape._inline.docPr.get("descr") == table["chart"]["alt"]
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert "France entière" in cells


def test_suivi_the_documents_come_from_the_frozen_copy_and_give_the_same_bytes(analyst, transmitted):
    snapshot = _last(transmitted)
    first_pdf, first_docx = report_files.pdf(snapshot), report_files.docx(snapshot)
    # Later changes to the live rows: a section's text, a thread's text.
    section = transmitted.sections.get(key="introduction")
    section.body = "Texte changé après coup."
    section.save()
    transmitted.threads.update(body="Message changé après coup.")
    snapshot.refresh_from_db()
    assert report_files.pdf(snapshot) == first_pdf
    assert report_files.docx(snapshot) == first_docx
    assert "Texte changé après coup." not in text(first_pdf)
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zipfile.ZipFile(io.BytesIO(first_docx)).infolist())


def test_suivi_the_frozen_copy_hash_covers_threads_and_data(transmitted):
    snapshot = _last(transmitted)
    assert snapshot.sha256 == services.snapshot_digest(snapshot.sections, snapshot.frozen_threads, snapshot.data)
    assert [t["status"] for t in snapshot.frozen_threads] == ["desaccord", "resolu"]
    first = transmitted.snapshots.order_by("number").first()
    assert first.frozen_threads == [] and first.sha256 != snapshot.sha256


def test_suivi_a_year_without_data_prints_why(analyst):
    future = services.open_exercise(actor=analyst, year=2099)
    services.advance(actor=analyst, exercise_id=future.pk, action="share", on=D(2026, 5, 15), today=TODAY)
    snapshot = _last(future)
    assert snapshot.data == {"error": "Aucun mois complet de 2099 n'est encore disponible."}
    content = report_files.pdf(snapshot)
    assert problems(content) == []
    assert "Aucun mois complet de 2099 n'est encore disponible." in text(content)


def _urls(exercise):
    number = _last(exercise).number
    return [reverse(f"monitoring:report_{fmt}", args=[exercise.pk, number]) for fmt in ("pdf", "docx")]


def test_suivi_who_downloads_the_report(client, analyst, other_analyst, national, operator_staff, transmitted):
    outsider = UserFactory(username="resp_idf", role=Role.MANAGER, structure=StructureFactory(region_id="11",
                           department_id="75"))  # fmt: skip
    counselor = UserFactory(username="cons_corse", role=Role.COUNSELOR, structure=operator_staff.structure)
    for user, expected in (
        (analyst, 200),
        (national, 200),
        (operator_staff, 200),
        (other_analyst, 404),
        (outsider, 404),
        (counselor, 403),
    ):
        client.force_login(user)
        for url in _urls(transmitted):
            response = client.get(url)
            assert response.status_code == expected, (user.username, url, response.status_code)
            if expected == 200:
                assert response["Content-Disposition"].startswith("attachment;")
    client.force_login(analyst)
    pdf, again = (client.get(_urls(transmitted)[0]).content for _ in range(2))
    assert pdf == again and pdf.startswith(b"%PDF")
    assert client.get(reverse("monitoring:report_pdf", args=[transmitted.pk, 999])).status_code == 404


def test_suivi_the_download_links_are_on_the_exercise_draft_and_national_pages(client, analyst, national,
                                                                               transmitted):  # fmt: skip
    pdf, docx_url = _urls(transmitted)
    client.force_login(analyst)
    for name in ("exercise", "draft"):
        page = client.get(reverse(f"monitoring:{name}", args=[transmitted.pk])).content.decode()
        assert pdf in page and docx_url in page, name
    client.force_login(national)
    page = client.get(reverse("monitoring:national")).content.decode()
    assert pdf in page and docx_url in page


def test_suivi_the_documents_show_no_person(transmitted):
    """Aggregates only: no beneficiary of the generated data is named in the PDF or the DOCX."""
    from cep.beneficiaries.models import Beneficiary

    snapshot = _last(transmitted)
    pdf_words = text(report_files.pdf(snapshot))
    document = docx.Document(io.BytesIO(report_files.docx(snapshot)))
    docx_words = "\n".join(p.text for p in document.paragraphs)
    docx_words += "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    people = list(Beneficiary.objects.values_list("first_name", "last_name"))
    assert people
    for first, last in people:
        for words in (pdf_words, docx_words):
            assert f"{first} {last}" not in words and f"{last.upper()}" not in words.split()


def test_suivi_typed_text_is_printed_never_run_as_markup(analyst, exercise):
    typed = '#panic("x") *gras* $x^2$ <label> @ref'
    intro = exercise.sections.get(key="introduction")
    services.save_section(actor=analyst, section_id=intro.pk, body=typed, expected_version=0)
    services.advance(actor=analyst, exercise_id=exercise.pk, action="share", on=D(2023, 5, 15), today=TODAY)
    snapshot = _last(exercise)
    assert typed in text(report_files.pdf(snapshot))
    assert typed in [p.text for p in docx.Document(io.BytesIO(report_files.docx(snapshot))).paragraphs]
