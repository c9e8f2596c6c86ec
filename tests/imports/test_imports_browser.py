"""The import in a real browser (Debian chromium): a manager checks the demo file
docs/import/beneficiaires-exemple.csv, reads the dry-run report, confirms the encoding and the import, and finds the
result; axe-core finds no serious or critical violation; screenshots docs/screenshots/import-*.png (user guide)."""

import os
from pathlib import Path

import pytest
from django.urls import reverse

from cep.beneficiaries.models import Beneficiary
from cep.imports.models import ImportBatch, Status
from tests.reporting.indicators.test_dashboard_browser import _check, _page, browser  # noqa: F401

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
DEMO = Path(__file__).resolve().parents[2] / "docs" / "import" / "beneficiaires-exemple.csv"


@pytest.mark.django_db(transaction=True)
def test_manager_imports_the_demo_file(browser, live_server, manager):  # noqa: F811
    page = _page(browser, live_server, manager)
    page.goto(live_server.url + reverse("web:home"))
    page.click("a.fr-nav__link:text('Imports')")
    page.wait_for_url("**/imports/")
    page.set_input_files("#id_file", str(DEMO))
    _check(page, "import-1-liste")
    page.click("button:text('Contrôler le fichier')")
    page.wait_for_url("**/imports/*/")
    batch = ImportBatch.objects.get()
    assert (batch.create_count, batch.duplicate_count, batch.refused_count) == (4, 1, 3)
    main = page.text_content("main")
    assert "UTF-8 avec BOM (détecté)" in main and "Lucciardi" in main and "n'existe pas dans le calendrier" in main
    assert not Beneficiary.objects.exists()
    _check(page, "import-2-rapport")
    page.click("label[for='id_encoding_confirmed']")
    page.click("button:text('Confirmer l\\'import')")
    page.wait_for_selector(".fr-alert--success")
    batch.refresh_from_db()
    assert batch.status == Status.APPLIED
    assert Beneficiary.objects.filter(structure=manager.structure).count() == 4
    page.goto(live_server.url + reverse("imports:detail", args=[batch.pk]) + "?resultat=create")
    assert "Annuler l'import" in page.text_content("main")
    _check(page, "import-3-resultat")
