"""The monthly file in a real browser (Debian chromium): a manager produces, downloads and transmits last month's
file; the national observer finds it among the received files. axe-core finds no serious or critical violation;
screenshots docs/screenshots/r-fichiers-*.png (user guide)."""

import hashlib
import os

import pytest
from django.urls import reverse

from cep.accounts.rights import Role
from cep.reporting.exports.models import BatchStatus, ExportBatch
from tests.factories import UserFactory
from tests.reporting.exports.export_fixtures import *  # noqa: F401,F403
from tests.reporting.indicators.test_dashboard_browser import _check, _page, browser  # noqa: F401

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.django_db(transaction=True)
def test_manager_sends_last_months_file_and_the_nation_receives_it(browser, live_server, manager, month_data, month):  # noqa: F811
    page = _page(browser, live_server, manager)
    page.goto(live_server.url + reverse("reporting:exports"))
    assert page.input_value("#id_month") == f"{month:%Y-%m}"
    _check(page, "r-fichiers-1-liste")
    page.click("button:text('Produire le fichier du mois')")
    page.wait_for_url("**/fichiers-mensuels/*/")
    batch = ExportBatch.objects.latest("pk")
    assert batch.status == BatchStatus.VALIDATED
    main = page.text_content("main")
    assert "Validé" in main and "respectent le contrat d'interface" in main
    with page.expect_download() as info:
        page.click(f"a[href$='/{batch.pk}/entrees.csv']")
    content = open(info.value.path(), "rb").read()
    assert hashlib.sha256(content).hexdigest() == batch.files.get(resource="entrees").sha256
    _check(page, "r-fichiers-2-lot-valide")
    page.click("button:text('Marquer comme transmis')")
    page.wait_for_selector(".fr-alert--success")
    assert ExportBatch.objects.get(pk=batch.pk).status == BatchStatus.TRANSMITTED

    national = UserFactory(username="b_fc", role=Role.NATIONAL_OBSERVER, structure=None)
    page = _page(browser, live_server, national)
    page.goto(live_server.url + reverse("web:home"))
    page.click("a.fr-nav__link:text('Fichiers reçus')")
    page.wait_for_url("**/fichiers-recus/")
    assert f"Lot n° {batch.pk}" in page.text_content("main")
    with page.expect_download() as info:
        page.click(f"a[href$='/{batch.pk}/entrees.csv']")
    assert open(info.value.path(), "rb").read() == content
    _check(page, "r-fichiers-3-recus")
