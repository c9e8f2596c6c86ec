"""The documentation page works offline under the project's Content-Security-Policy (no CDN)."""

import mimetypes
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from tests.browser import sync_playwright

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_openapi_is_served_in_french(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "CEP – API"
    assert "Conseil en évolution professionnelle" in schema["info"]["description"]
    assert "/api/v1/ceps/{cep_id}/phase3" in schema["paths"]


def test_docs_page_uses_local_assets(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "script-src" in response["Content-Security-Policy"]


@pytest.mark.browser
def test_docs_page_renders_under_csp(client, db):
    """Chromium loads the page through Django's test client (no live server: no database flush), with the
    CSP header Django sends; static files come from the staticfiles finders, as `runserver` serves them."""
    errors = []

    def serve(route):
        path = urlsplit(route.request.url).path
        if path.startswith(settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL):
            found = finders.find(path.split("/static/", 1)[1])
            if not found:
                return route.fulfill(status=404, body="")
            ctype = mimetypes.guess_type(found)[0] or "application/octet-stream"
            return route.fulfill(status=200, body=Path(found).read_bytes(), headers={"Content-Type": ctype})
        response = client.get(path)
        headers = {k: v for k, v in response.items()}
        return route.fulfill(status=response.status_code, body=response.content, headers=headers)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.route("http://testserver/**", serve)
        page.goto("http://testserver/api/v1/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
        title = page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock-tag", timeout=15000)
        tags = page.locator(".opblock-tag").all_inner_texts()
        browser.close()
    assert "CEP – API" in title
    assert any("Dispositif CEP" in t for t in tags)
    # Nothing blocked by the CSP (« Refused to load/execute/apply … ») and no JavaScript error.
    assert not [e for e in errors if e.startswith("Refused") or "Uncaught" in e], errors


def test_openapi_says_what_the_server_accepts(client, refdata):
    """Referential fields are enums of today's codes, dates publish their bounds, e-mail its format, required query
    parameters are required, cursors have their shape; links walk the lifecycle."""
    from cep.referentials.models import OrientationSource

    schema = client.get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    aiguilleur = components["CepIn"]["properties"]["orientation_source"]
    assert set(aiguilleur["enum"]) == set(OrientationSource.objects.valid_on().values_list("code", flat=True))
    OrientationSource.objects.filter(pk="autre").update(valid_to="2000-01-01")
    later = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["CepIn"]["properties"]
    assert "autre" in aiguilleur["enum"] and "autre" not in later["orientation_source"]["enum"]  # read per request
    for name in ("primary_context", "direction", "nature", "place", "function"):
        assert components["EventIn"]["properties"][name]["enum"], name
    entry = components["CepIn"]["properties"]["entry_date"]
    assert entry["format"] == "date" and (entry["x-minimum"], entry["x-maximum"]) == ("1900-01-01", "2100-12-31")
    assert re.match(entry["pattern"], "2000-02-29") and not re.match(entry["pattern"], "1899-12-31")
    email = components["BeneficiaryIn"]["properties"]["email"]
    assert {"type": "string", "format": "email", "maxLength": 254} in email["anyOf"]
    delete = schema["paths"]["/api/v1/ceps/{cep_id}"]["delete"]
    confirm = next(p for p in delete["parameters"] if p["name"] == "confirm")
    assert confirm["required"] is True and confirm["schema"]["const"] is True
    search = schema["paths"]["/api/v1/beneficiaries"]["get"]["parameters"]
    cursor = next(p for p in search if p["name"] == "cursor")["schema"]["anyOf"][0]
    assert cursor["pattern"] == "^[A-Za-z0-9_-]*$" and cursor["maxLength"] == 2048
    opened = schema["paths"]["/api/v1/beneficiaries/{beneficiary_id}/ceps"]["post"]["responses"]["201"]["links"]
    assert opened["PasserEnPhase3"] == {
        "operationId": "api_ceps_move_to_phase3",
        "parameters": {"cep_id": "$response.body#/id"},
    }
    closed = schema["paths"]["/api/v1/ceps/{cep_id}/close"]["post"]["responses"]["200"]["links"]
    assert closed["Rouvrir"]["operationId"] == "api_ceps_reopen_cep"
    offer = schema["paths"]["/api/v1/offers"]["post"]["responses"]["201"]["links"]
    assert offer["Modifier"]["operationId"] == "api_offers_update_offer"
