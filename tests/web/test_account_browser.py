"""Account pages in a real browser (Debian chromium): the second-factor enrolment, my account, password change,
API tokens and the manager's reset link pass axe-core (no serious or critical violation) under the CSP."""

import pytest
from django.test import Client
from django.urls import reverse

from cep.accounts.models import ApiToken
from tests.web.test_manager_browser import _check, _page, browser  # noqa: F401 — the module's browser fixture


@pytest.mark.django_db(transaction=True)
def test_account_pages_are_accessible(browser, live_server, refdata, manager, counselor):  # noqa: F811
    url = live_server.url
    # Password only (no second factor yet): the enrolment page, with its QR code.
    signed = Client()
    assert signed.login(username=manager.username, password="motdepasse-solide-123")
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "sessionid", "value": signed.cookies["sessionid"].value, "url": url}])
    enrol = context.new_page()
    enrol.csp_messages = []
    enrol.on("console", lambda m: "Content Security Policy" in m.text and enrol.csp_messages.append(m.text))
    enrol.goto(url + reverse("manager:structure"))
    assert "Activer la double authentification" in enrol.content() and enrol.locator("svg[role=img]").count() == 1
    _check(enrol)
    context.close()

    ApiToken.issue(counselor, name="Logiciel métier")
    page = _page(browser, live_server, counselor)
    for name in ("web:account", "web:password_change", "web:api_tokens"):
        page.goto(url + reverse(name))
        _check(page)
    page = _page(browser, live_server, manager)
    page.goto(url + reverse("manager:user_edit", args=[counselor.pk]))
    page.click("button:has-text('Créer un lien de réinitialisation')")
    assert "Lien à copier" in page.content()
    _check(page)
